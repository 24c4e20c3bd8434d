"""Scale benchmark of the ``tabular`` modality: a fixed number of SCARF steps (the ``adult_scarf`` recipe: width 32,
2 layers, batch 512) on directories of Parquet files of 1M and 10M rows, streamed, and on 1M rows read in memory.

The tables: rows of UCI Adult (``tabular/adult`` under ``MULTISSL_DATA``: 6 integer and 9 string columns, the label
``income`` among them, "?" missing) drawn with replacement (seed 0), written as files of ``--file-rows`` rows in row
groups of ``--group-rows`` under ``--folder`` (Spark-like output), and deleted at the end unless ``--keep``.

Each run is a fresh process: ``multissl.pretrain(recipe=<adult_scarf without its evaluation>, data.source=<dir>,
data.streaming=..., trainer.max_steps=--steps)``: the preprocessing fitted in one pass (streamed: record batch by
record batch), then the steps. Rows per second are those of training: ``(steps - 1) x 512`` rows over the time from
the end of the first step to the end of the last (the first step pays one-off start-up costs). Peak memory is the
process's peak resident set size (``VmHWM``), everything included (Python, torch, the model).

    MULTISSL_DATA=../shared/datasets OMP_NUM_THREADS=1 \\
        python benchmarks/scale/tabular_parquet.py --steps 200
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from peak_memory import peak_rss_gib

BATCH = 512  # the adult_scarf recipe's loader.batch_size


def write_table(folder: Path, rows: int, file_rows: int, group_rows: int) -> None:
    """``rows`` rows of Adult drawn with replacement, as ``part-00000.parquet``... of ``file_rows`` rows."""
    import pyarrow.parquet as pq

    adult = pq.read_table(Path(os.environ["MULTISSL_DATA"]) / "tabular" / "adult" / "adult.parquet")
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for part, start in enumerate(range(0, rows, file_rows)):
        take = rng.integers(0, adult.num_rows, min(file_rows, rows - start))
        pq.write_table(adult.take(take), folder / f"part-{part:05d}.parquet", row_group_size=group_rows)


def child(source: str, streaming: bool, steps: int) -> None:
    """One pretraining run; prints a JSON line of its measurements."""
    import multissl_tabular
    import yaml
    from lightning.pytorch.callbacks import Callback

    import multissl

    class StepClock(Callback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            self.ends.append(time.perf_counter())

    recipe = yaml.safe_load((Path(multissl_tabular.__file__).parent / "recipes" / "adult_scarf.yaml").read_text())
    del recipe["evaluate"]  # its probe holds the rows in memory; this measures pretraining
    clock = StepClock()
    started = time.perf_counter()
    multissl.pretrain(
        recipe=recipe, data=source, callbacks=[clock],
        **{"data.streaming": streaming, "data.label_column": "income", "data.missing_values": ["?"],
           "trainer.max_steps": steps, "trainer.max_epochs": 1000, "trainer.enable_progress_bar": False,
           "trainer.loggers": []},
    )
    seconds = clock.ends[-1] - clock.ends[0]
    print(json.dumps({
        "steps": len(clock.ends), "rows_per_second": (len(clock.ends) - 1) * BATCH / seconds,
        "wall_seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_gib() * 1024,
    }))


def run(source: Path, streaming: bool, steps: int) -> dict:
    command = [sys.executable, __file__, "--child", str(source), "--streaming", str(streaming).lower(), "--steps", str(steps)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(result.stderr[-4000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--file-rows", type=int, default=1_000_000)
    parser.add_argument("--group-rows", type=int, default=65_536)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/multissl-scale/tabular"))
    parser.add_argument("--keep", action="store_true", help="keep the generated tables")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--streaming", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.streaming == "true", args.steps)
        return
    print(f"| rows | read | steps | train rows/s | wall s | peak RSS MB |\n|---:|---|---:|---:|---:|---:|")
    try:
        for rows in args.rows:
            source = args.folder / f"adult_{rows}"
            if not source.exists():
                write_table(source, rows, args.file_rows, args.group_rows)
            for streaming in ([True, False] if rows == min(args.rows) else [True]):
                result = run(source, streaming, args.steps)
                print(f"| {rows:,} | {'streamed' if streaming else 'in memory'} | {result['steps']} | "
                      f"{result['rows_per_second']:,.0f} | {result['wall_seconds']:.1f} | {result['peak_rss_mb']:,.0f} |", flush=True)
    finally:
        if not args.keep:
            for rows in args.rows:
                shutil.rmtree(args.folder / f"adult_{rows}", ignore_errors=True)


if __name__ == "__main__":
    main()
