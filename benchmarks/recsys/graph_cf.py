"""LightGCN vs SGL vs SimGCL: test Recall/NDCG@20 (overall and long tail) and seconds per epoch.

MovieLens latest-small: random 80/20 split per user (seed 0), every rating a positive, fixed epochs.
Gowalla: LightGCN's own train/test files, an equal wall-clock training budget per method
(``--max-time``, Lightning's ``max_time``); evaluation time is not counted. Full ranking over all
items, training items excluded. One intra-op thread (``--threads``): the machine is shared.
``--negatives`` and ``--embedding-init`` set SGL/SimGCL's contrast negatives and the embedding
initialisation (defaults: the references' choices, ``all`` and ``per_table``); ``--ssl-weight``,
``--temperature``, ``--drop-ratio`` (SGL) and ``--eps`` (SimGCL) override the methods' defaults.
``--validation`` scores on a validation split carved from the training file (a random 20% per user,
split seed 1; the test file is not read), for choosing those hyper-parameters.

    nice -n 5 python benchmarks/recsys/graph_cf.py --dataset movielens --seeds 0 1 2 --epochs 5 --batch-size 4096 --embedding-dim 32 --layers 2 --lr 0.01
    nice -n 5 python benchmarks/recsys/graph_cf.py --dataset gowalla --seeds 0 --epochs 1000 --max-time 00:00:10:00 --batch-size 2048 --embedding-dim 64 --layers 2 --lr 0.001
    nice -n 5 python benchmarks/recsys/graph_cf.py --dataset gowalla --methods lightgcn sgl --seeds 0 1 --epochs 1000 --max-time 00:00:10:00 --batch-size 2048 --embedding-dim 64 --layers 2 --lr 0.001 --ssl-weight 0.005 --temperature 0.5 --drop-ratio 0.1
    nice -n 5 python benchmarks/recsys/graph_cf.py --dataset gowalla --seeds 0 --epochs 1000 --max-time 00:00:10:00 --batch-size 2048 --embedding-dim 64 --layers 2 --lr 0.01

The last is the current Gowalla comparison: lr 1e-2 for all three, chosen per method on the validation split from
{1e-3, 1e-2} with ``learning_curve.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from multissl_recsys.datasets import gowalla, movielens_small
from multissl_recsys.evaluation import ranking_report
from multissl_recsys.modality import Interactions, InteractionsOptions
from multissl_recsys.splits import random_per_user

import multissl

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "recsys"
GOWALLA = SHARED / "lightgcn_gowalla"
METRICS = ("recall@20", "ndcg@20", "tail/recall@20", "tail/ndcg@20")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["movielens", "gowalla"], default="movielens")
    parser.add_argument("--methods", nargs="+", default=["lightgcn", "sgl", "simgcl"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--max-time", default=None, help="per-method training budget DD:HH:MM:SS (then --epochs is a cap)")
    parser.add_argument("--batch-size", type=int, default=2048)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--negatives", choices=["all", "batch"], default="all", help="SGL/SimGCL contrast negatives")
    parser.add_argument("--embedding-init", choices=["per_table", "joint"], default="per_table")
    parser.add_argument("--ssl-weight", type=float, default=None, help="SGL/SimGCL λ (default: each method's own)")
    parser.add_argument("--temperature", type=float, default=None, help="SGL/SimGCL InfoNCE τ (default: each method's own)")
    parser.add_argument("--drop-ratio", type=float, default=None, help="SGL edge-drop ratio ρ (default: the method's)")
    parser.add_argument("--eps", type=float, default=None, help="SimGCL noise magnitude ε (default: the method's)")
    parser.add_argument("--validation", action="store_true", help="score on a validation split of the training part")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--eval-users", type=int, default=None, help="evaluate a seeded sample of this many test users")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    source = movielens_small(SHARED / "ml-latest-small") if args.dataset == "movielens" else gowalla(GOWALLA)
    if args.validation:
        source = validation_source(source)
    rows = []
    for seed in args.seeds:
        for method in args.methods:  # interleaved per seed, so machine load affects every method alike
            trainer = {"trainer.enable_progress_bar": False, "trainer.max_time": args.max_time}
            options = {"embedding_init": args.embedding_init, **method_options(method, args)}
            run = multissl.pretrain(
                "interactions", source, method=method, max_epochs=args.epochs, batch_size=args.batch_size, seed=seed,
                lr=args.lr, embedding_dim=args.embedding_dim, n_layers=args.layers, **options, **trainer,
            )
            started = time.perf_counter()
            tables = run.modality.__class__(run.modality.options).load(source)
            report = ranking_report(run.modality, run.method, tables, max_users=args.eval_users)
            train = run.metrics["train"]
            rows.append({"seed": seed, "method": method, "lr": args.lr, **{m: report[m] for m in METRICS}, "epochs": train["epochs"], "steps": train["steps"],
                         "fit_s": train["fit_seconds"], "s_per_epoch": train["fit_seconds"] * len(tables.train) / max(train["steps"] * args.batch_size, 1),
                         "eval_s": time.perf_counter() - started})
            print(json.dumps(rows[-1]), flush=True)
    print(table(rows, args.methods))
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


def method_options(method: str, args: argparse.Namespace) -> dict:
    """The contrast options given on the command line that ``method`` has (LightGCN: none)."""
    if method == "lightgcn":
        return {}
    given = {"negatives": args.negatives, "ssl_weight": args.ssl_weight, "temperature": args.temperature,
             **({"drop_ratio": args.drop_ratio} if method == "sgl" else {"eps": args.eps})}
    return {name: value for name, value in given.items() if value is not None}


def validation_source(source: dict) -> dict:
    """The training part (Gowalla: train.txt; MovieLens: the benchmark's split, seed 0), split again 80/20 per user (seed 1)."""
    fit, validation, _ = random_per_user(Interactions(InteractionsOptions()).load(source).train, 0.2, seed=1)
    return {"train": fit, "test": validation}


def table(rows: list[dict], methods: list[str]) -> str:
    columns = (*METRICS, "steps", "s_per_epoch")
    lines = [f"| method | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    for method in methods:
        picked = [r for r in rows if r["method"] == method]
        cells = []
        for column in columns:
            values = [r[column] for r in picked]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.4f} ± {spread:.4f}" if column in METRICS else f"{statistics.mean(values):.0f}")
        lines.append(f"| {method} | {' | '.join(cells)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
