"""SelfTask on Cora (public Planetoid split): GCN alone and GCN + each pretext task, several seeds.

    python benchmarks/graph/selftask.py --seeds 0 1 2 3 4 --out benchmarks/graph/selftask_results.json
    python benchmarks/graph/selftask.py --table benchmarks/graph/selftask_results.json   # the table again

Every configuration trains the reference's 2-layer GCN (hidden 128, dropout 0.5, Adam lr 0.01, L2 5e-4,
200 epochs) jointly with its task (``NLL + lambda * task loss``, lambda from the reference's Cora
configs); the checkpoint of best validation accuracy (500 val nodes) is kept and scored on the 1000
test nodes. "gcn" is the same model with ``ssl_weight=0`` (the task is not computed). Configurations
run in turn within each seed. Epoch time: the median wall time of a training step (one full-batch
epoch: forward, backward, Adam) in a separate phase where all configurations take turns step by step,
so CPU contention falls on all alike (``--timing-steps``); the Lightning runs also record their step
times, and the first step's extra time is the one-off target building. Needs ../shared/datasets/graph/Cora (copied to a temporary directory).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch_geometric.datasets import Planetoid

import multissl
from multissl.plugins import registry
from multissl_graph.modality import Graph
from multissl_graph.selftask import SelfTask, SelfTaskConfig

CORA_RAW = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "graph" / "Cora" / "raw"

CONFIGS = {
    "gcn": {"task": "node_property", "ssl_weight": 0.0},
    "pairwise_distance": {"task": "pairwise_distance"},
    "selftask_ensemble_lc": {"task": "context_label", "task_options": {"filler": "ensemble", "label_correction": 1.5}},
    "context_label_ensemble": {"task": "context_label", "task_options": {"filler": "ensemble"}},
    "distance2labeled": {"task": "distance2labeled"},
    "distance2clusters": {"task": "distance2clusters"},
    "attribute_mask": {"task": "attribute_mask"},
    "pairwise_attr_sim": {"task": "pairwise_attr_sim"},
    "edge_mask": {"task": "edge_mask"},
    "node_property": {"task": "node_property"},
    "context_label_lp": {"task": "context_label", "task_options": {"filler": "label_propagation"}},
    "context_label_ica": {"task": "context_label", "task_options": {"filler": "ica"}},
}
"""name -> SelfTask options. selftask_ensemble_lc: the paper's SelfTask-GNN (ensemble filler + label correction, alpha 1.5)."""


class TimedSelfTask(SelfTask):
    """SelfTask that records the wall time of each training step."""

    def on_train_batch_start(self, batch, batch_idx):
        self._started = time.perf_counter()

    def on_train_batch_end(self, outputs, batch, batch_idx):
        self.__dict__.setdefault("step_seconds", []).append(time.perf_counter() - self._started)


def run_one(data, options: dict, seed: int, epochs: int) -> dict:
    run = multissl.pretrain(
        "graph", data, method="selftask_timed", seed=seed, max_epochs=epochs, **options,
        **{"trainer.enable_progress_bar": False, "trainer.loggers": []},
    )
    batch = run.modality.transform(run.modality.load(data))
    with torch.no_grad():
        predicted = run.method.predict_classes(batch)
    accuracy = lambda mask: (predicted[mask] == data.y[mask]).float().mean().item()  # noqa: E731
    steps = run.method.step_seconds
    median = statistics.median(steps[1:])
    return {
        "test": accuracy(data.test_mask), "val": accuracy(data.val_mask), "best_epoch": run.metrics["train"]["restored_epoch"],
        "epoch_seconds": median, "targets_seconds": steps[0] - median,
    }


def step_times(data, configs: list[str], steps: int) -> dict[str, float]:
    """Median seconds of one training step (forward, backward, Adam) per configuration, the configurations
    taking turns step by step so that CPU contention falls on all alike; targets are built before timing."""
    modality = Graph()
    raw = modality.load(data)
    modality.fit(raw)
    batch = modality.transform(raw)
    models = {}
    for name in configs:
        options = {k: v for k, v in CONFIGS[name].items()}
        method = SelfTask(SelfTaskConfig(**options), modality.input_spec()).train()
        method._total_loss(batch)  # builds the targets
        models[name] = (method, torch.optim.Adam(method.parameters(), lr=0.01, weight_decay=5e-4))
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(steps):
        for name, (method, optimizer) in models.items():
            started = time.perf_counter()
            optimizer.zero_grad()
            method._total_loss(batch)[0].backward()
            optimizer.step()
            seconds[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in seconds.items()}


def table(results: dict[str, list[dict]]) -> str:
    """The markdown table of mean ± std over seeds (targets: the median one-off extra time of the first step)."""
    std = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0  # noqa: E731
    lines = [
        "| configuration | seeds | test accuracy (%) | val accuracy (%) | best epoch (median) | targets (s) |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        if not rows:
            continue
        test, val = [100 * r["test"] for r in rows], [100 * r["val"] for r in rows]
        targets = statistics.median(r["targets_seconds"] for r in rows)
        best = statistics.median(r["best_epoch"] for r in rows)
        lines.append(
            f"| {name} | {len(rows)} | {statistics.mean(test):.2f} ± {std(test):.2f} | {statistics.mean(val):.2f} ± {std(val):.2f} "
            f"| {best:.0f} | {max(targets, 0.0):.1f} |"
        )
    return "\n".join(lines)


def timing_table(timing: dict[str, dict]) -> str:
    base = timing["gcn"]["step_seconds"]
    lines = ["| configuration | training step (ms), interleaved | x GCN alone |", "|---|---|---|"]
    lines += [f"| {name} | {1000 * t['step_seconds']:.1f} | {t['step_seconds'] / base:.2f} |" for name, t in timing.items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--out", type=Path, default=None, help="JSON file of per-seed results, rewritten after every run")
    parser.add_argument("--table", type=Path, nargs="+", default=None, help="only print the table of results JSON files (merged)")
    parser.add_argument("--timing-steps", type=int, default=50, help="interleaved training steps timed per configuration")
    parser.add_argument("--timing-only", action="store_true", help="only the interleaved step timing, no training runs")
    args = parser.parse_args()
    if args.table is not None:
        timing, results = {}, {}
        for path in args.table:
            saved = json.loads(path.read_text())
            timing.update(saved["timing"])
            for name, rows in saved["results"].items():
                results.setdefault(name, []).extend(rows)
        print((timing_table(timing) + "\n\n" if timing else "") + table(results))
        return
    registry().add_method("selftask_timed", TimedSelfTask, modalities=["graph"])
    root = Path(tempfile.mkdtemp())
    shutil.copytree(CORA_RAW, root / "Cora" / "raw")
    data = Planetoid(str(root), "Cora")[0]
    timing = {}
    if args.timing_steps > 0:
        configs = ["gcn", *[c for c in args.configs if c != "gcn"]]
        timing = {name: {"step_seconds": value} for name, value in step_times(data, configs, args.timing_steps).items()}
        print(timing_table(timing), flush=True)
    results: dict[str, list[dict]] = {name: [] for name in args.configs}
    if args.timing_only and args.out is not None:
        args.out.write_text(json.dumps({"seeds": [], "epochs": args.epochs, "timing": timing, "results": {}}, indent=1))
    for seed in [] if args.timing_only else args.seeds:
        for name in args.configs:
            results[name].append({"seed": seed, **run_one(data, CONFIGS[name], seed, args.epochs)})
            r = results[name][-1]
            print(f"seed {seed} {name:<24} test {r['test']:.3f} val {r['val']:.3f} epoch {1000 * r['epoch_seconds']:.1f} ms", flush=True)
            if args.out is not None:
                args.out.write_text(json.dumps({"seeds": args.seeds, "epochs": args.epochs, "timing": timing, "results": results}, indent=1))
    shutil.rmtree(root)
    if not args.timing_only:
        print("\n" + table(results))


if __name__ == "__main__":
    main()
