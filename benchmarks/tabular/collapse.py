"""T-JEPA's collapse signal over training and a linear probe of its pooled embeddings against the raw features.

For each table: ``multissl.pretrain("tabular", rows, method="tjepa", ...)`` on 80 % of the rows, printing the
engine's per-epoch collapse signal (``collapse/std``, ``collapse/relative_std``, ``collapse/rankme`` on a fixed
sample of 512 training rows: multissl/engine/collapse_monitor.py), then the core linear probe (standardised
features; accuracy or R²) of ``run.embed`` on the other 20 % against the same probe on the scaled raw features.
Tables: ``california_housing``, ``adult`` (its 6 numeric columns), ``heart_disease`` (under ``--data``) and
``generated`` (sklearn ``make_classification``: 10,000 rows, 28 continuous features, made here).

    OMP_NUM_THREADS=1 python benchmarks/tabular/collapse.py --epochs 3
    OMP_NUM_THREADS=1 python benchmarks/tabular/collapse.py --epochs 3 --set n_reg=0 --set dim=64
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from lightning.pytorch.callbacks import Callback
from sklearn.datasets import make_classification

import multissl
from multissl.eval.linear_probe import linear_probe

SIGNALS = ("std", "relative_std", "rankme")
LABELS = {"california_housing": "MedHouseVal", "adult": "income", "heart_disease": "target", "generated": "label"}


def table(name: str, data: Path) -> pd.DataFrame:
    """The table's numeric feature columns and its label column."""
    if name == "generated":
        x, y = make_classification(n_samples=10_000, n_features=28, n_informative=10, n_redundant=10, flip_y=0.1,
                                   class_sep=0.5, random_state=0)
        return pd.DataFrame(x, columns=[f"f{j}" for j in range(28)]).assign(label=y)
    path = {"california_housing": "california_housing/california_housing.parquet",
            "adult": "adult/adult.parquet", "heart_disease": "heart_disease/heart_disease.csv"}[name]
    frame = pd.read_parquet(data / "tabular" / path) if path.endswith(".parquet") else pd.read_csv(data / "tabular" / path)
    numeric = [c for c in frame.columns if c != LABELS[name] and pd.api.types.is_numeric_dtype(frame[c])]
    return frame[[*numeric, LABELS[name]]].dropna()


class SignalRecorder(Callback):
    """The engine's collapse signal of each epoch (it logs before user callbacks run)."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        self.epochs.append({s: float(trainer.callback_metrics[f"collapse/{s}"]) for s in SIGNALS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", nargs="+", default=["california_housing", "adult", "heart_disease", "generated"])
    parser.add_argument("--data", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rows", type=int, default=10_000, help="rows used per table (the first, after a shuffle)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a T-JEPA option, e.g. n_reg=0")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.getLogger("lightning").setLevel(logging.ERROR)
    options = {k: yaml.safe_load(v) for k, v in (s.split("=", 1) for s in args.set)}
    print(f"T-JEPA {options or 'defaults'}, {args.epochs} epochs, seed {args.seed}")
    print("| table | rows x cols | epoch: std / relative std / RankMe | probe on embeddings | on raw | train s |")
    print("|---|---|---|---|---|---|")
    for name in args.tables:
        frame = table(name, args.data).sample(frac=1.0, random_state=args.seed).iloc[: args.rows].reset_index(drop=True)
        label = LABELS[name]
        cut = int(0.8 * len(frame))
        train, test = frame.iloc[:cut], frame.iloc[cut:]
        recorder = SignalRecorder()
        started = time.perf_counter()
        run = multissl.pretrain("tabular", train.drop(columns=label), "tjepa", callbacks=[recorder], max_epochs=args.epochs,
                                seed=args.seed, enable_progress_bar=False, loggers=[], **options)
        seconds = time.perf_counter() - started
        features = train.columns.drop(label)
        lo, span = train[features].min(), (train[features].max() - train[features].min()).replace(0, 1)
        y_train, y_test = train[label].to_numpy(), test[label].to_numpy()
        task = "regression" if name == "california_housing" else "classification"
        metric = "r2" if task == "regression" else "accuracy"
        embedded = linear_probe(run.embed(train.drop(columns=label)), y_train, run.embed(test.drop(columns=label)), y_test,
                                task=task, seed=args.seed)[metric]
        raw = linear_probe(((train[features] - lo) / span).to_numpy(), y_train, ((test[features] - lo) / span).to_numpy(),
                           y_test, task=task, seed=args.seed)[metric]
        signal = " → ".join(f"{e['std']:.3g} / {e['relative_std']:.3g} / {e['rankme']:.1f}" for e in recorder.epochs)
        print(f"| {name} | {len(frame)} x {len(features)} | {signal} | {metric} {embedded:.4f} | {raw:.4f} | {seconds:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
