"""Quality of the core's vector methods: linear probe and kNN of frozen embeddings vs raw features.

    python benchmarks/vectors/probe_table.py --seeds 0 1 2 --out benchmarks/vectors/results.md

Each seed pretrains on all rows (labels unseen), then probes on one stratified 70/30 split per seed
(C of the logistic regression chosen by cross-validation on the training part only). The raw-feature
baseline is probed on the same split in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import multissl

DATASETS = ("breast_cancer", "wine", "digits")
METHODS = ("simclr", "vicreg", "barlow_twins")
# One architecture and one set of views for every method; only the objective differs.
SHARED = {
    "encoder": "mlp",
    "encoder_options": {"hidden_dims": [256, 256], "output_dim": 64},
    "views": [{"name": "marginal_corruption", "ratio": 0.3}, {"name": "gaussian_noise", "std": 0.1}],
    "projector_dims": [128, 64],
}
OBJECTIVE_OPTIONS = {"simclr": {"temperature": 0.2}, "vicreg": {}, "barlow_twins": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rows = []
    for dataset in DATASETS:
        results: dict[str, list[dict]] = {}
        for method in METHODS:
            for seed in args.seeds:
                started = time.perf_counter()
                recipe = {
                    "modality": "vectors",
                    "data": {"source": dataset, "label_column": "target"},
                    "method": {"name": method, **SHARED, "objective_options": OBJECTIVE_OPTIONS[method]},
                    "loader": {"batch_size": 128},
                    "trainer": {"max_epochs": args.epochs, "enable_progress_bar": False},
                    "seed": seed,
                }
                run = multissl.pretrain(recipe=recipe)
                report = multissl.evaluate(run, data=dataset, labels="target", test_fraction=0.3, seed=seed)
                report["seconds"] = time.perf_counter() - started
                results.setdefault(method, []).append(report)
                if method == METHODS[0]:
                    raw = {k[4:]: v for k, v in report.items() if k.startswith("raw/")}
                    results.setdefault("raw features", []).append(raw)
        for name, reports in results.items():
            rows.append((dataset, name, *_mean_std(reports, "linear_probe/accuracy"), *_mean_std(reports, "knn_probe/accuracy"),
                         *_mean_std(reports, "rankme"), np.mean([r.get("seconds", np.nan) for r in reports])))
    lines = [
        f"Seeds {args.seeds}, {args.epochs} epochs, command: python benchmarks/vectors/probe_table.py --seeds "
        + " ".join(map(str, args.seeds)),
        "",
        "| dataset | representation | linear probe acc | kNN acc | RankMe | s per run |",
        "|---|---|---|---|---|---|",
    ]
    for dataset, name, lp, lps, kn, kns, rm, rms, secs in rows:
        secs_text = "" if np.isnan(secs) else f"{secs:.1f}"
        lines.append(f"| {dataset} | {name} | {lp:.3f} ± {lps:.3f} | {kn:.3f} ± {kns:.3f} | {rm:.1f} ± {rms:.1f} | {secs_text} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


def _mean_std(reports: list[dict], key: str) -> tuple[float, float]:
    values = np.array([r[key] for r in reports], dtype=float)
    return float(values.mean()), float(values.std())


if __name__ == "__main__":
    main()
