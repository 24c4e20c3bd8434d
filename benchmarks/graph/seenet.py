"""SEENet on Tokyo against its baselines, one table: DistMult on free embeddings, R-GCN (torch-geometric)
+ DistMult, SEENet without SSL, SEENet with SE-SSL pretraining. Every model trains through
``multissl.pretrain`` (method ``seenet`` with ``encoder``/``ssl``), selects its weights on validation
MRR@10 and is scored on test with filtered Hit/MRR@5/10/20 per slot and weighted.

    nice -n 5 python benchmarks/graph/seenet.py --seeds 0 1 2 --out /tmp/seenet_bench/all.jsonl
    python benchmarks/graph/seenet.py --summarize /tmp/seenet_bench/*.jsonl

``--set KEY=VALUE ...`` overrides the recipe for every model of the run (e.g. the Paddle reference's Tokyo
setting ``method.embedding_init=xavier optimizer.weight_decay=1e-5 method.grad_norm=0.0``); the summary keeps
runs with different overrides apart. Runs append one JSON line each to ``--out`` (so a long benchmark can
be split across processes, one seed each, and summarised afterwards).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import lightning.pytorch as pl
import torch

MODELS = {
    "distmult": {"encoder": "distmult", "ssl": False},
    "rgcn": {"encoder": "rgcn", "ssl": False},
    "seenet": {"encoder": "seenet", "ssl": False},
    "seenet_ssl": {"encoder": "seenet", "ssl": True},
}
LABELS = {"distmult": "DistMult (free embeddings)", "rgcn": "R-GCN + DistMult", "seenet": "SEENet, no SSL",
          "seenet_ssl": "SEENet + SE-SSL"}
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "graph" / "seenet_tokyo"


class TrainingLoss(pl.Callback):
    """The train stage's loss every ``every`` epochs, as ``[epoch, loss]`` pairs (SEENet steps once per epoch)."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.curve: list[list[float]] = []

    def on_train_batch_end(self, trainer, method, outputs, batch, batch_idx) -> None:
        epoch = method.progress["train_epochs"] + 1  # the method counts the epoch at its end, after this step
        if method.stage == "train" and epoch % self.every == 0:
            self.curve.append([epoch, round(float(outputs["loss"]), 4)])


def run_one(data: Path, model: str, seed: int, args) -> dict:
    import multissl
    from multissl.recipe import parse_assignment

    options = {f"method.{k}": v for k, v in MODELS[model].items()}
    options.update({
        "method.train_epochs": args.train_epochs, "method.pretrain_epochs": args.pretrain_epochs,
        "method.pretrain_patience": args.pretrain_patience, "method.evaluate_every": args.evaluate_every,
        "trainer.max_epochs": args.train_epochs + args.pretrain_epochs + 1, "trainer.enable_progress_bar": args.progress,
        "trainer.loggers": [], "seed": seed,
    })
    options.update(parse_assignment(pair) for pair in args.set)
    started = time.perf_counter()
    losses = TrainingLoss(args.evaluate_every)
    run = multissl.pretrain("temporal_relations", str(data), method="seenet", callbacks=losses, **options)
    wall = time.perf_counter() - started
    method = run.method
    batch = run.modality.transform(run.modality.load(str(data)))
    test = method.rank(batch, "test")
    seconds = method.epoch_seconds
    return {
        "model": model, "options": args.set, "seed": seed, "test": test,
        "best_valid_mrr@10": method.progress["best_mrr"],
        "best_valid_epoch": max(method.validation_history, key=lambda h: h["mrr@10"])["epoch"],
        "pretrain_epochs": method.progress["pretrain_epochs"], "train_epochs": method.progress["train_epochs"],
        "seconds_per_pretrain_epoch": statistics.mean(seconds["pretrain"]) if seconds["pretrain"] else None,
        "seconds_per_train_epoch": statistics.mean(seconds["train"]),
        "cpu_seconds_per_pretrain_epoch": statistics.mean(method.epoch_cpu_seconds["pretrain"]) if seconds["pretrain"] else None,
        "cpu_seconds_per_train_epoch": statistics.mean(method.epoch_cpu_seconds["train"]),
        "validation_mrr@10": [[h["epoch"], round(h["mrr@10"], 4)] for h in method.validation_history],
        "training_loss": losses.curve,
        "wall_seconds": wall, "threads": torch.get_num_threads(), "machine": platform.machine(),
        "schedule": {"train_epochs": args.train_epochs, "pretrain_epochs": args.pretrain_epochs,
                     "pretrain_patience": args.pretrain_patience, "evaluate_every": args.evaluate_every},
    }


def summarize(paths: list[Path], curve_window: tuple[int, int] | None = None) -> str:
    rows = [json.loads(line) for path in paths for line in path.read_text().splitlines() if line.strip()]
    metrics = ["hit@5", "hit@10", "hit@20", "mrr@5", "mrr@10", "mrr@20"]
    lines = ["| model | seeds | " + " | ".join(f"test {m}" for m in metrics) + " | valid mrr@10 | s / train epoch | s / pretrain epoch | CPU s / train epoch | CPU s / pretrain epoch | pretrain + train epochs | wall s |",
             "|---" * (len(metrics) + 9) + "|"]
    groups = {(r["model"], " ".join(r.get("options", []))) for r in rows}
    for model, options in sorted(groups, key=lambda g: (list(MODELS).index(g[0]), g[1])):
        runs = [r for r in rows if r["model"] == model and " ".join(r.get("options", [])) == options]
        label = f"{LABELS[model]} ({options})" if options else LABELS[model]

        def cell(values):
            values = [v for v in values if v is not None]
            if not values:
                return "-"
            return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}" if len(values) > 1 else f"{values[0]:.4f}"

        def seconds(values):
            values = [v for v in values if v is not None]
            return f"{statistics.mean(values):.2f}" if values else "-"

        lines.append(
            f"| {label} | {len(runs)} | " + " | ".join(cell([r['test'][m] for r in runs]) for m in metrics)
            + f" | {cell([r['best_valid_mrr@10'] for r in runs])} | {seconds([r['seconds_per_train_epoch'] for r in runs])}"
            + f" | {seconds([r['seconds_per_pretrain_epoch'] for r in runs])}"
            + f" | {seconds([r.get('cpu_seconds_per_train_epoch') for r in runs])}"
            + f" | {seconds([r.get('cpu_seconds_per_pretrain_epoch') for r in runs])}"
            + f" | {statistics.mean(r['pretrain_epochs'] for r in runs):.0f} + {statistics.mean(r['train_epochs'] for r in runs):.0f}"
            + f" | {statistics.mean(r['wall_seconds'] for r in runs):.0f} |"
        )
    slot_lines = ["", "Per slot, test MRR@10 (mean over seeds):", "",
                  "| model | morning | midday | night | late-night |", "|---|---|---|---|---|"]
    for model, options in sorted(groups, key=lambda g: (list(MODELS).index(g[0]), g[1])):
        runs = [r for r in rows if r["model"] == model and " ".join(r.get("options", [])) == options]
        if runs:
            label = f"{LABELS[model]} ({options})" if options else LABELS[model]
            slot_lines.append(f"| {label} | " + " | ".join(
                f"{statistics.mean(r['test'][f'{s}/mrr@10'] for r in runs):.4f}" for s in ("morning", "midday", "night", "late-night")) + " |")
    return "\n".join(lines + slot_lines + (curve_lines(rows, *curve_window) if curve_window else []))


def curve_lines(rows: list[dict], first: int, last: int) -> list[str]:
    """Each run's validation MRR@10 averaged over the evaluations at training epochs ``first``..``last``, with their
    (population) standard deviation: the level a run sits at, where the selected checkpoint is its best swing; and
    the training loss at ``first`` and at ``last`` where the run recorded it."""
    lines = ["", f"Validation MRR@10 at training epochs {first}-{last}, per run:", "",
             f"| model | options | seed | evaluations | mean | std | training loss at {first} | at {last} |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        values = [value for epoch, value in r["validation_mrr@10"] if first <= epoch <= last]
        loss = {int(epoch): value for epoch, value in r.get("training_loss", [])}
        if values:
            lines.append(f"| {LABELS[r['model']]} | {' '.join(r.get('options', []))} | {r['seed']} | {len(values)}"
                         f" | {statistics.mean(values):.4f} | {statistics.pstdev(values):.4f}"
                         f" | {loss.get(first, '-')} | {loss.get(last, '-')} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--train-epochs", type=int, default=3000)
    parser.add_argument("--pretrain-epochs", type=int, default=2000)
    parser.add_argument("--pretrain-patience", type=int, default=100)
    parser.add_argument("--evaluate-every", type=int, default=10)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="recipe overrides for every model, e.g. optimizer.weight_decay=1e-5 method.grad_norm=0")
    parser.add_argument("--progress", action="store_true", help="show Lightning's progress bar")
    parser.add_argument("--out", type=Path, default=Path("seenet_results.jsonl"))
    parser.add_argument("--summarize", type=Path, nargs="+", help="print the table of earlier --out files and exit")
    parser.add_argument("--curve-window", type=int, nargs=2, metavar=("FIRST", "LAST"),
                        help="with --summarize: also each run's mean validation MRR@10 over training epochs FIRST..LAST")
    args = parser.parse_args()
    if args.summarize:
        print(summarize(args.summarize, args.curve_window))
        return
    if not args.data.is_dir():
        raise SystemExit(f"The Tokyo data are not at {args.data}; pass --data.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for model in args.models:
            result = run_one(args.data, model, seed, args)
            with open(args.out, "a") as handle:
                handle.write(json.dumps(result) + "\n")
            print(f"{model} seed {seed}: test mrr@10 {result['test']['mrr@10']:.4f}, valid {result['best_valid_mrr@10']:.4f}, "
                  f"{result['seconds_per_train_epoch']:.2f} s/epoch, {result['wall_seconds']:.0f} s", flush=True)
    print(summarize([args.out]))


if __name__ == "__main__":
    main()
