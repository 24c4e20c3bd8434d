"""Two-tower on MovieLens latest-small: no SSL vs RFM vs CFM, overall and on the long-tail items.

Random 80/20 split per user (seed 0, the same for every run), every rating is a positive; full
ranking over all 9,724 items with training items excluded; long tail = items outside the 20% most
popular by training interactions. Each variant trains with the same seeds, epochs and batch size.
``--validation`` scores on a validation split instead (a random 20% per user of the training part,
split seed 1; the test part is not read), for tuning α and the SSL temperature.

    nice -n 5 python benchmarks/recsys/two_tower_ml.py --seeds 0 1 2 --epochs 5 --batch-size 2048 --lr 0.005 --ssl-weight 0.1 --ssl-temperature 0.2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from multissl_recsys.datasets import movielens_small
from multissl_recsys.evaluation import ranking_report
from multissl_recsys.modality import Interactions, InteractionsOptions
from multissl_recsys.splits import random_per_user

import multissl

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "recsys" / "ml-latest-small"
METRICS = ("recall@20", "ndcg@20", "tail/recall@20", "tail/ndcg@20")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--variants", nargs="+", default=["none", "rfm", "cfm"])
    parser.add_argument("--ssl-weight", type=float, default=0.1)
    parser.add_argument("--ssl-temperature", type=float, default=0.2)
    parser.add_argument("--validation", action="store_true", help="score on a validation split of the training part")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    source = validation_source(movielens_small(DATA)) if args.validation else movielens_small(DATA)
    rows = []
    for seed in args.seeds:
        for variant in args.variants:  # variants interleaved per seed, so machine load affects them alike
            started = time.perf_counter()
            run = multissl.pretrain(
                "interactions", source, method="two_tower_ssl", max_epochs=args.epochs, batch_size=args.batch_size, seed=seed, lr=args.lr,
                ssl=variant, ssl_weight=args.ssl_weight, ssl_temperature=args.ssl_temperature,
                **{"data.rating_column": "rating", "data.timestamp_column": "timestamp", "trainer.enable_progress_bar": False},
            )
            tables = run.modality.__class__(run.modality.options).load(source)
            report = ranking_report(run.modality, run.method, tables)
            epoch_seconds = run.metrics["train"]["fit_seconds"] / run.metrics["train"]["epochs"]
            rows.append({"seed": seed, "ssl": variant, **{m: report[m] for m in METRICS}, "epoch_s": epoch_seconds,
                         "wall_s": time.perf_counter() - started})
            print(json.dumps(rows[-1]), flush=True)
    print(table(rows, args))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


def validation_source(source: dict) -> dict:
    """The training part of the benchmark's split (seed 0), split again 80/20 per user (seed 1)."""
    tables = Interactions(InteractionsOptions(rating_column="rating", timestamp_column="timestamp")).load(source)
    fit, validation, _ = random_per_user(tables.train, 0.2, seed=1)
    return {"train": fit, "test": validation, "item_features": source["item_features"]}


def table(rows: list[dict], args) -> str:
    lines = [f"| ssl | {' | '.join(METRICS)} | s/epoch |", "|---" * (len(METRICS) + 2) + "|"]
    for variant in args.variants:
        picked = [r for r in rows if r["ssl"] == variant]
        cells = []
        for metric in (*METRICS, "epoch_s"):
            values = [r[metric] for r in picked]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.4f} ± {spread:.4f}" if metric != "epoch_s" else f"{statistics.mean(values):.1f}")
        lines.append(f"| {variant} | {' | '.join(cells)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
