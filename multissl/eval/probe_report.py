"""One seeded train/test split, the probes on the embeddings and on the raw features (the linear probe also on
seeded label fractions of the training split), and a text table of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval.evaluator import BASELINE_KEY, BASELINE_PREFIX
from multissl.eval.knn_probe import knn_probe
from multissl.eval.linear_probe import linear_probe
from multissl.eval.probe_data import as_embeddings, as_labels, check_not_constant, resolve_task
from multissl.eval.rankme import rankme

EVALUATORS = ("linear_probe", "knn_probe", "rankme")
_COUNTS = ("n_train", "n_test", "task")


def probe_report(
    embeddings: Any,
    labels: Any,
    *,
    raw_features: Any = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    evaluators: Sequence[str] = EVALUATORS,
    label_fractions: Sequence[float] = (1.0,),
) -> dict[str, Any]:
    """Probe ``embeddings`` against ``labels`` and, when ``raw_features`` is given, the raw features alike.

    One split drawn with ``seed`` (stratified for classification) serves every probe; the task is inferred
    from all labels. RankMe is computed on all samples. The raw kNN probe standardises its features (they come
    in arbitrary units); the embeddings' does not. ``evaluators`` names probes among ``EVALUATORS``.
    ``label_fractions``: the linear probe is trained on each fraction of the training split's labels
    (:func:`label_subset`) and scored on the whole test split, the few-label protocol of SimCLR (Chen et al.
    2020, Table 7); 1.0 is the whole training split.
    Returns a flat dict such as ``linear_probe/accuracy``, ``linear_probe@1%/accuracy``, ``knn_probe/macro_f1``,
    ``rankme``, the same keys prefixed ``baseline/`` for the raw features, and ``n_train``, ``n_test``, ``task``.
    """
    unknown = [name for name in evaluators if name not in EVALUATORS]
    if unknown:
        from multissl.errors import did_you_mean

        hints = "".join(did_you_mean(name, EVALUATORS) for name in unknown)
        raise RecipeError(f"Unknown probe(s) {unknown}.{hints} Probes: {', '.join(EVALUATORS)}.")
    if not 0.0 < test_fraction < 1.0:
        raise RecipeError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}.")
    check_label_fractions(label_fractions)
    feature_sets = {"": as_embeddings(embeddings, "embeddings")}
    if raw_features is not None:
        feature_sets[BASELINE_PREFIX] = as_embeddings(raw_features, "raw_features")
    label_values = as_labels(labels, "labels")
    for what, features in feature_sets.items():
        if len(features) != len(label_values):
            name = "raw feature rows" if what else "embeddings"
            raise InvalidDataError(f"Got {len(label_values)} labels for {len(features)} {name}; pass one label per sample.")
    task = resolve_task("auto", label_values)
    check_not_constant(label_values, task, "labels")
    train, test = _split(label_values, task, test_fraction, seed)
    report: dict[str, Any] = {}
    for prefix, features in feature_sets.items():
        for name in evaluators:
            if name == "rankme":
                report[f"{prefix}rankme"] = rankme(features)
                continue
            if name == "knn_probe":
                splits = (features[train], label_values[train], features[test], label_values[test])
                metrics = knn_probe(*splits, task=task, standardize=prefix == BASELINE_PREFIX)
                report.update({f"{prefix}{name}/{metric}": value for metric, value in metrics.items()})
                continue
            for fraction in label_fractions:
                labelled = train if fraction == 1.0 else train[label_subset(label_values[train], task, fraction, seed)]
                splits = (features[labelled], label_values[labelled], features[test], label_values[test])
                metrics = linear_probe(*splits, task=task, seed=seed)
                probe = name if fraction == 1.0 else f"{name}@{fraction_name(fraction)}"
                report.update({f"{prefix}{probe}/{metric}": value for metric, value in metrics.items()})
    report.update(n_train=len(train), n_test=len(test), task=task)
    return report


def check_label_fractions(fractions: Sequence[float]) -> None:
    """Each label fraction must be a number in (0, 1]."""
    if isinstance(fractions, str) or not isinstance(fractions, Sequence) or not fractions:
        raise RecipeError(f"label_fractions must be a non-empty list of numbers in (0, 1], got {fractions!r}.")
    bad = [f for f in fractions if isinstance(f, bool) or not isinstance(f, int | float) or not 0.0 < f <= 1.0]
    if bad:
        raise RecipeError(f"label_fractions must lie in (0, 1] (1.0 is every training label), got {bad}.")


def fraction_name(fraction: float) -> str:
    """``0.01`` -> ``"1%"``, ``0.005`` -> ``"0.5%"``: the suffix of a probe trained on that label fraction."""
    return f"{round(fraction * 100, 6):g}%"


def label_subset(labels: np.ndarray, task: str, fraction: float, seed: int) -> np.ndarray:
    """Positions of a seeded ``fraction`` of ``labels``: for classification round(fraction x count) samples of
    each class, at least one (stratified: each class keeps its share); for regression
    round(fraction x N) samples, at least two."""
    rng = np.random.default_rng(seed)
    if task != "classification":
        size = min(len(labels), max(2, round(fraction * len(labels))))
        return np.sort(rng.choice(len(labels), size=size, replace=False))
    chosen = []
    for cls in pd.unique(labels):
        members = np.flatnonzero(labels == cls)
        chosen.append(rng.choice(members, size=max(1, round(fraction * len(members))), replace=False))
    return np.sort(np.concatenate(chosen))


def format_report(report: dict[str, Any]) -> str:
    """A text table of any evaluator's report: one row per metric, columns for the run and (when present) its
    baseline, headed by what the baseline is."""
    metrics: list[str] = []
    for key, value in report.items():
        metric = key.removeprefix(BASELINE_PREFIX)
        if not _is_fact(key, value) and metric not in metrics:
            metrics.append(metric)
    has_raw = any(key.startswith(BASELINE_PREFIX) for key in report)
    header = ["metric", "embeddings"] + ([str(report.get(BASELINE_KEY, "baseline"))] if has_raw else [])
    rows = [header]
    for metric in metrics:
        row = [metric, _cell(report.get(metric))]
        if has_raw:
            row.append(_cell(report.get(BASELINE_PREFIX + metric)))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)) for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if all(key in report for key in _COUNTS):
        lines.insert(0, f"{report['task']}: {report['n_train']} train / {report['n_test']} test samples")
    other_facts = [f"{k}={v}" for k, v in report.items() if _is_fact(k, v) and k not in _COUNTS and k != BASELINE_KEY]
    if other_facts:
        lines.append(", ".join(other_facts))
    if any("@" in metric and "%" in metric for metric in metrics):
        lines.append("probe@N%: trained on N% of the training labels (per class, at least one sample)")
    return "\n".join(lines)


def _is_fact(key: str, value: Any) -> bool:
    """Counts (``n_*``), the task and other text describe the evaluation; they are not metrics."""
    return key in _COUNTS or key == BASELINE_KEY or key.startswith("n_") or isinstance(value, str)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _split(labels: np.ndarray, task: str, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices; stratified for classification, with every class on both sides."""
    n_samples = len(labels)
    n_test = int(np.ceil(test_fraction * n_samples))
    n_train = n_samples - n_test
    stratify = None
    if task == "classification":
        counts = pd.Series(labels).value_counts()
        rare = counts[counts < 2]
        if len(rare):
            examples = ", ".join(f"{label!r} ({count})" for label, count in rare.head(5).items())
            raise InvalidDataError(
                f"{len(rare)} classes have fewer than 2 samples ({examples}); a stratified train/test split "
                "needs at least 2 per class. Drop or merge those classes."
            )
        if min(n_train, n_test) < len(counts):
            raise InvalidDataError(
                f"test_fraction={test_fraction} gives {n_train} train and {n_test} test samples for {len(counts)} "
                "classes; a stratified split needs at least one sample per class on each side. Pass more samples "
                "or a test_fraction nearer 0.5."
            )
        stratify = labels
    elif min(n_train, n_test) < 1:
        raise InvalidDataError(f"{n_samples} samples cannot be split into train and test with test_fraction={test_fraction}.")
    return train_test_split(np.arange(n_samples), test_size=n_test, random_state=seed, stratify=stratify)
