"""T-JEPA pretraining speed against the reference implementation (jose-melo/t-jepa), both at the reference's size;
with ``--sizes``, ours at the method's default size against ours at the reference's size (no reference needed).

    python benchmarks/tabular/speed.py --threads 1 --steps 6 --warmup-steps 2 --rounds 3
    python benchmarks/tabular/speed.py --sizes --threads 1 --steps 6 --warmup-steps 2 --rounds 3

Rows per second on Adult at the reference's settings (its ``scripts/launch_tjepa.sh``: width 64, 16 encoder layers,
predictor 16-d x 16 layers, batch 512): ours through the Lightning trainer ``multissl.pretrain`` builds, the
reference's training-loop body through ``reference_tjepa_steps.py`` with its own interpreter and checkout,
alternated round by round (the order rotated) so that other load on the machine hits both alike. Prints each
round and the mean ratio, per wall second and per CPU second. Setup of the reference (its code unmodified, outside
this repository; its venv reuses this project's torch):

    mkdir -p /tmp/ref_tjepa && git --git-dir=<clone of jose-melo/t-jepa> archive HEAD src LICENSE | tar -x -C /tmp/ref_tjepa
    python3 -m venv /tmp/ref_tjepa/venv
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/ref_tjepa/venv/lib/python3.11/site-packages/shared_torch.pth
    /tmp/ref_tjepa/venv/bin/pip install tabulate
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ADULT = ROOT.parent / "shared" / "datasets" / "tabular" / "adult" / "adult.parquet"
HERE = Path(__file__).resolve().parent


SIZES = {"default": {}, "reference": {"num_layers": 16, "predictor_layers": 16}}
"""Method options of each size: the method's defaults, and the reference's depth (16 encoder + 16 predictor layers)."""


def ours(args: argparse.Namespace) -> dict[str, float]:
    """Rows per second of our T-JEPA at ``args.size`` through the Lightning trainer."""
    import lightning as L
    import torch
    from multissl_tabular.modality import Tabular, TabularOptions

    from multissl import recipe as recipes
    from multissl.engine.trainer import build_trainer
    from multissl.plugins import registry

    torch.set_num_threads(args.threads)
    modality = Tabular(TabularOptions(label_column="income", missing_values=["?"]))
    raw = modality.load(ADULT)
    modality.fit(raw)
    recipe = recipes.resolve(
        {"modality": "tabular", "method": {"name": "tjepa", **SIZES[args.size]}, "data": {"source": "unused"},
         "trainer": {"max_steps": args.warmup_steps + args.steps, "max_epochs": 1, "enable_progress_bar": False, "loggers": []},
         "loader": {"batch_size": args.batch_size}},
        registry(),
    )
    method = registry().get("method", "tjepa")(recipe.method_options, modality.input_spec(), recipe.optimizer, 0)
    loader = modality.dataloader(modality.dataset(raw), batch_size=args.batch_size, shuffle=True, drop_last=True,
                                 num_workers=0, seed=0)
    timer = step_timer(args.warmup_steps)
    with tempfile.TemporaryDirectory() as work:
        trainer = build_trainer(recipe, Path(work), has_validation=False, callbacks=[timer], batches_per_epoch=len(loader))
        L.seed_everything(0, verbose=False)
        trainer.fit(method, loader)
    return {"rows": timer.rows, "seconds": timer.seconds, "rows_per_second": timer.rows / timer.seconds,
            "rows_per_cpu_second": timer.rows / timer.cpu_seconds}


def step_timer(skip: int):
    """A Lightning callback timing (wall and process CPU) the training steps after the first ``skip``."""
    from lightning.pytorch.callbacks import Callback

    class StepTimer(Callback):
        def __init__(self) -> None:
            self.rows, self.seconds, self.cpu_seconds, self.started = 0, 0.0, 0.0, None

        def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
            if batch_idx == skip:
                self.started = (time.perf_counter(), time.process_time())

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
            if batch_idx >= skip:
                self.rows += len(batch["numeric"])
                self.seconds = time.perf_counter() - self.started[0]
                self.cpu_seconds = time.process_time() - self.started[1]

    return StepTimer()


def compare(args: argparse.Namespace) -> None:
    settings = ["--threads", str(args.threads), "--steps", str(args.steps), "--warmup-steps", str(args.warmup_steps),
                "--batch-size", str(args.batch_size)]
    if args.sizes:
        order = [(f"multissl {size} size", [sys.executable, __file__, "--ours-only", "--size", size, *settings], ROOT)
                 for size in SIZES]
    else:
        reference = Path(args.reference)
        if not (reference / "src" / "encoder.py").is_file():
            raise SystemExit(f"{reference} holds no jose-melo/t-jepa checkout (src/encoder.py); see this file's docstring.")
        order = [
            ("multissl", [sys.executable, __file__, "--ours-only", "--size", "reference", *settings], ROOT),
            ("reference", [args.reference_python, str(HERE / "reference_tjepa_steps.py"), "--data", str(ADULT), *settings],
             reference),
        ]
    wall: dict[str, list[float]] = {who: [] for who, *_ in order}
    cpu: dict[str, list[float]] = {who: [] for who, *_ in order}
    loads = []
    for round_ in range(args.rounds):
        for who, command, cwd in order[round_ % 2:] + order[: round_ % 2]:
            loads.append(os.getloadavg()[0])
            out = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                raise SystemExit(f"{who} failed:\n{out.stderr[-3000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            wall[who].append(result["rows_per_second"])
            cpu[who].append(result["rows_per_cpu_second"])
            print(f"round {round_}: {who} {result['rows_per_second']:.1f} rows/s, {result['rows_per_cpu_second']:.1f} rows "
                  f"per CPU second (load {loads[-1]:.1f})", flush=True)
    first, second = (who for who, *_ in order)
    ratios = [a / b for a, b in zip(wall[first], wall[second])]
    cpu_ratios = [a / b for a, b in zip(cpu[first], cpu[second])]
    print(f"\n{first} {np.mean(wall[first]):.1f} rows/s, {second} {np.mean(wall[second]):.1f} rows/s; ratio per "
          f"round {[round(r, 2) for r in ratios]}, mean {np.mean(ratios):.2f}x; per CPU second "
          f"{[round(r, 2) for r in cpu_ratios]}, mean {np.mean(cpu_ratios):.2f}x (batch {args.batch_size}, {args.steps} "
          f"timed steps after {args.warmup_steps}, {args.threads} threads, load "
          f"{min(loads):.1f}-{max(loads):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=6, help="timed steps, after the warm-up ones")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", default="/tmp/ref_tjepa", help="a checkout of jose-melo/t-jepa (its src/)")
    parser.add_argument("--reference-python", default="/tmp/ref_tjepa/venv/bin/python")
    parser.add_argument("--ours-only", action="store_true", help="time ours once and print one JSON line (used per round)")
    parser.add_argument("--size", choices=sorted(SIZES), default="reference", help="the size --ours-only times")
    parser.add_argument("--sizes", action="store_true", help="compare ours at the default and the reference's size")
    args = parser.parse_args()
    if args.ours_only:
        print(json.dumps(ours(args)))
    else:
        compare(args)


if __name__ == "__main__":
    main()
