"""Checks shared by the supervised probes: embeddings, labels, the task, and the metrics they report.

Public so that a plugin writing its own probe (e.g. the tabular MLP head) validates inputs the same way.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score, root_mean_squared_error

from multissl._validation import check_finite_array
from multissl.errors import EmptyDataError, InvalidDataError, RecipeError

TASKS = ("auto", "classification", "regression")
MAX_CLASSES = 50
"""Integer labels with at most this many distinct values (or fewer than 5 % distinct) are classes."""


class ProbeData(NamedTuple):
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    task: str


def as_embeddings(values: Any, what: str) -> np.ndarray:
    """A finite, non-empty (N, D) float array (float32 or float64) from numpy, torch or pandas input."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu()
        values = (values if values.dtype in (torch.float32, torch.float64) else values.float()).numpy()
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise InvalidDataError(f"{what} must be numeric, got dtype {array.dtype}.")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float32)
    if array.ndim != 2:
        raise InvalidDataError(f"{what} must be 2-D (samples, dimensions), got shape {array.shape}.")
    check_finite_array(array, what)
    return array


def as_labels(values: Any, what: str) -> np.ndarray:
    """A 1-D label array with no missing entry; pandas categoricals become object arrays of their values."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(values, pd.Series | pd.Categorical | pd.Index) and isinstance(values.dtype, pd.CategoricalDtype):
        values = np.asarray(values, dtype=object)
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise InvalidDataError(f"{what} must hold one label per sample (1-D), got shape {array.shape}.")
    if array.size == 0:
        raise EmptyDataError(f"{what} is empty. Pass one label per sample.")
    missing = pd.isna(array)
    if missing.any():
        raise InvalidDataError(
            f"{what} hold {int(missing.sum())} missing values (NaN or None) out of {len(array)}; "
            "drop those samples or fill their labels first."
        )
    return array


def infer_task(labels: np.ndarray) -> str:
    """Classification for bool, string, object or categorical labels, and for integer-valued numbers with
    at most 50 distinct values (or fewer than 5 % distinct); regression otherwise."""
    if labels.dtype.kind not in "iuf":
        return "classification"
    n_distinct = len(np.unique(labels))
    few = n_distinct <= MAX_CLASSES or n_distinct < 0.05 * len(labels)
    integral = labels.dtype.kind in "iu" or bool(np.all(np.mod(labels, 1) == 0))
    return "classification" if integral and few else "regression"


def resolve_task(task: str, labels: np.ndarray) -> str:
    """``task`` itself, or the inferred one for ``"auto"``; regression needs numeric labels."""
    if task not in TASKS:
        raise RecipeError(f"task must be one of {TASKS}, got {task!r}.")
    resolved = infer_task(labels) if task == "auto" else task
    if resolved == "regression" and labels.dtype.kind not in "biuf":
        raise InvalidDataError(f"Regression needs numeric labels, got dtype {labels.dtype}; use task='classification'.")
    return resolved


def check_not_constant(labels: np.ndarray, task: str, what: str) -> None:
    """A probe needs at least two classes (or two distinct target values) to learn anything."""
    distinct = pd.unique(labels)
    if len(distinct) < 2:
        kind = "a single class" if task == "classification" else "a single value"
        raise InvalidDataError(f"{what} hold {kind} ({distinct[0]!r}); a probe needs at least two.")


def check_probe_inputs(train_x: Any, train_y: Any, test_x: Any, test_y: Any, task: str) -> ProbeData:
    """Validated train and test splits and the resolved task (inferred from the training labels)."""
    arrays = []
    for split, x, y in (("train", train_x, train_y), ("test", test_x, test_y)):
        x = as_embeddings(x, f"{split} embeddings")
        y = as_labels(y, f"{split} labels")
        if len(x) != len(y):
            raise InvalidDataError(f"Got {len(y)} {split} labels for {len(x)} {split} samples; pass one label per sample.")
        arrays += [x, y]
    train_x, train_y, test_x, test_y = arrays
    if train_x.shape[1] != test_x.shape[1]:
        raise InvalidDataError(f"Train embeddings have {train_x.shape[1]} dimensions, test embeddings {test_x.shape[1]}.")
    resolved = resolve_task(task, train_y)
    check_not_constant(train_y, resolved, "train labels")
    if resolved == "regression":
        train_y, test_y = train_y.astype(np.float64), test_y.astype(np.float64)
    return ProbeData(train_x, train_y, test_x, test_y, resolved)


def classification_metrics(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "accuracy": float(accuracy_score(true, predicted)),
        "macro_f1": float(f1_score(true, predicted, average="macro", zero_division=0)),
    }


def regression_metrics(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(root_mean_squared_error(true, predicted)),
        "mae": float(mean_absolute_error(true, predicted)),
        "r2": float(r2_score(true, predicted)),
    }
