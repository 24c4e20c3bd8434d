"""The ``tabular_probe`` evaluator: the downstream MLP head on frozen embeddings against the same head on the raw
(preprocessed) features, on one seeded train/validation/test split of the labelled rows."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import train_test_split

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX, Evaluator
from multissl.eval.probe_data import as_labels, classification_metrics, regression_metrics, resolve_task
from multissl_tabular.downstream import MLPHeadOptions, fit_mlp_head
from multissl_tabular.streaming import ParquetStream

METRIC_PREFIX = "mlp_head/"


@dataclasses.dataclass
class TabularProbeOptions:
    """Keys of the ``evaluate:`` block the ``tabular_probe`` evaluator reads."""

    labels: Any = None
    """The label column's name, or an array with one label per row; default: the run's ``data.label_column``."""
    task: Literal["auto", "classification", "regression"] = "auto"
    """``auto``: classification for strings, booleans and integers with few distinct values; regression otherwise."""
    test_fraction: float = 0.2
    """Share of the rows held out for testing (stratified by class for classification)."""
    val_fraction: float = 0.2
    """Share of the remaining rows on which the head's epoch is chosen (never the test rows)."""
    hidden: list[int] = dataclasses.field(default_factory=lambda: [256, 256])
    """Hidden widths of the MLP head."""
    head_epochs: int = 100
    """Most epochs of head training; the best epoch on the validation rows is kept."""
    patience: int = 10
    """Stop after this many epochs without a better validation score."""
    head_lr: float = 1e-3
    """AdamW learning rate of the head."""
    head_seeds: list[int] | None = None
    """Seeds of the head (its initialisation and batch order) on the one split; None: the run's seed. With several,
    each metric is their mean and ``<metric>/head_std`` their sample std: the spread due to the head alone, where
    ``multissl bench --seeds`` spans pretraining runs (each seed setting pretraining, split and head)."""


class TabularProbe(Evaluator):
    """:func:`multissl_tabular.downstream.fit_mlp_head` on the run's embeddings and, as the baseline, on the
    modality's raw features (scaled numerics with missing indicators, one-hot categories); the same split, head
    and seed for both. Metrics ``mlp_head/accuracy`` and ``mlp_head/macro_f1`` (classification), or
    ``mlp_head/rmse``, ``mlp_head/mae`` (in the target's units) and ``mlp_head/r2`` (regression), on the test rows."""

    Options = TabularProbeOptions

    def check(self, modality: Any) -> None:
        options = self.options
        for name in ("test_fraction", "val_fraction"):
            value = getattr(options, name)
            if not 0.0 < value < 1.0:
                raise RecipeError(f"evaluate.{name} must lie strictly between 0 and 1, got {value}.")
        if not options.hidden or not all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in options.hidden):
            raise RecipeError(f"evaluate.hidden must be a non-empty list of positive widths, got {options.hidden!r}.")
        for name in ("head_epochs", "patience"):
            if getattr(options, name) < 1:
                raise RecipeError(f"evaluate.{name} must be >= 1, got {getattr(options, name)}.")
        seeds = options.head_seeds
        if seeds is not None and (not seeds or not all(isinstance(v, int) and not isinstance(v, bool) for v in seeds)):
            raise RecipeError(f"evaluate.head_seeds must be a non-empty list of integers, got {seeds!r}.")
        if not options.head_lr > 0:
            raise RecipeError(f"evaluate.head_lr must be > 0, got {options.head_lr}.")
        labels = options.labels if options.labels is not None else modality.options.label_column
        if labels is None:
            raise RecipeError(
                "tabular_probe needs labels: set data.label_column (kept out of pretraining) or evaluate.labels."
            )
        if isinstance(labels, str) and labels in modality.source_columns:
            raise RecipeError(
                f"evaluate.labels={labels!r} is an input feature of this run, so its embeddings already hold the labels. "
                "Set data.label_column to it before training so that it is kept out of pretraining."
            )

    def __call__(self, run: Any, source: Any) -> dict[str, Any]:
        self.check(run.modality)
        labels = self.options.labels
        modality = run.modality
        if isinstance(labels, str) and labels != modality.options.label_column:
            modality = copy.copy(modality)
            modality.options = dataclasses.replace(modality.options, label_column=labels)
        raw = run.read(source, modality=modality)
        if isinstance(raw, ParquetStream):
            raise InvalidDataError(
                "tabular_probe holds the evaluated rows in memory; evaluate on a table that is not streamed "
                "(data.streaming=false, or evaluate.data pointing at a smaller file)."
            )
        targets = raw.labels if labels is None or isinstance(labels, str) else labels
        if targets is None:
            raise InvalidDataError(f"The evaluated table has no label column {modality.options.label_column!r}.")
        targets = as_labels(targets, "tabular_probe labels")
        if len(targets) != len(raw):
            raise InvalidDataError(f"Got {len(targets)} labels for {len(raw)} rows; pass one label per row.")
        task = resolve_task(self.options.task, targets)
        if task == "regression":
            targets = targets.astype(np.float64)
        splits = self.split(targets, task)
        embedded = self.score(run.embed_loaded(raw, modality=modality), targets, splits, task)
        raw_scores = self.score(modality.baseline_features(raw), targets, splits, task)
        report = {f"{METRIC_PREFIX}{k}": v for k, v in embedded.items()}
        report.update({f"{BASELINE_PREFIX}{METRIC_PREFIX}{k}": v for k, v in raw_scores.items()})
        train, validation, test = splits
        counts = {"task": task, "n_train": len(train), "n_validation": len(validation), "n_test": len(test)}
        return {**report, BASELINE_KEY: "raw features", **counts}

    def split(self, targets: np.ndarray, task: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row indices of the train, validation and test rows (stratified for classification)."""
        rows = np.arange(len(targets))
        stratify = targets if task == "classification" and _each_class_at_least(targets, 3) else None
        rest, test = train_test_split(rows, test_size=self.options.test_fraction, random_state=self.seed, stratify=stratify)
        stratify = targets[rest] if stratify is not None else None
        train, validation = train_test_split(rest, test_size=self.options.val_fraction, random_state=self.seed, stratify=stratify)
        return train, validation, test

    def score(self, features: np.ndarray, targets: np.ndarray, splits, task: str) -> dict[str, float]:
        """Test metrics of the head trained on ``features``' train rows, its epoch chosen on the validation rows; over
        several ``head_seeds``, their mean and ``<metric>/head_std``."""
        seeds = self.options.head_seeds or [self.seed]
        runs = [self.score_one(features, targets, splits, task, seed) for seed in seeds]
        report = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
        if len(runs) > 1:
            report.update({f"{key}/head_std": float(np.std([r[key] for r in runs], ddof=1)) for key in runs[0]})
        return report

    def score_one(self, features: np.ndarray, targets: np.ndarray, splits, task: str, seed: int) -> dict[str, float]:
        """Test metrics of one head (``seed``)."""
        train, validation, test = splits
        options = MLPHeadOptions(
            hidden=tuple(self.options.hidden), max_epochs=self.options.head_epochs, patience=self.options.patience,
            lr=self.options.head_lr,
        )
        head = fit_mlp_head(features[train], targets[train], features[validation], targets[validation], task=task,
                            seed=seed, options=options)
        predicted = head.predict(features[test])
        if task == "classification":
            return classification_metrics(targets[test], predicted)
        return regression_metrics(targets[test], predicted)


def _each_class_at_least(targets: np.ndarray, count: int) -> bool:
    _, counts = np.unique(targets, return_counts=True)
    return bool(counts.min() >= count)
