"""Fine-tuning labels: checked (one finite label per sample), aligned with the samples, and encoded as targets."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from multissl.errors import InvalidDataError


def encode_targets(labels: np.ndarray, task: str) -> tuple[torch.Tensor, dict[str, Any]]:
    """Class indices (classification) or standardised floats (regression), and what turns outputs back into
    labels: ``{"classes": [...]}`` or ``{"mean": m, "std": s}``."""
    if task == "classification":
        classes, indices = np.unique(labels, return_inverse=True)
        return torch.as_tensor(indices, dtype=torch.long), {"classes": classes.tolist()}
    values = labels.astype(np.float64)
    mean, std = float(values.mean()), float(values.std()) or 1.0
    return torch.as_tensor((values - mean) / std, dtype=torch.float32), {"mean": mean, "std": std}


def check_labels(labels: Any, n_samples: int, task: str) -> np.ndarray:
    """One finite label per sample, for ``task``; raise ``InvalidDataError`` saying what is wrong."""
    from multissl.eval.probe_data import as_labels, check_not_constant

    if labels is None:
        raise InvalidDataError(
            "Fine-tuning needs labels: pass labels=<array with one label per sample> or the name of a label column."
        )
    values = as_labels(labels, "Fine-tuning labels")
    if len(values) != n_samples:
        raise InvalidDataError(f"Got {len(values)} labels for {n_samples} samples; pass one label per sample, in data order.")
    if task == "regression":
        if values.dtype.kind not in "biuf":
            raise InvalidDataError(f"Regression needs numeric labels, got dtype {values.dtype}; use task='classification'.")
        if not np.isfinite(values.astype(np.float64)).all():
            raise InvalidDataError("Regression targets hold NaN or infinite values; drop those samples or fix their targets.")
    check_not_constant(values, task, "Fine-tuning labels")
    return values


def aligned_labels(labels: Any, ids: Any, n_samples: int) -> Any:
    """``labels`` as one per sample: a pandas Series indexed by sample id is reordered to the samples' ``ids``
    (ids it lacks get no label: NaN); anything else is taken in data order as given."""
    if not isinstance(labels, pd.Series) or ids is None or (isinstance(labels.index, pd.RangeIndex) and len(labels) == n_samples):
        return labels
    ids = pd.Index(ids)
    index = labels.index.astype(str) if ids.dtype == object and labels.index.dtype != object else labels.index
    if not index.is_unique:
        raise InvalidDataError("The labels' index repeats ids; give one label per sample id.")
    found = index.get_indexer(ids.astype(str) if index.dtype == object else ids)
    if (found < 0).all():
        raise InvalidDataError(
            f"None of the labels' ids matches a sample id (labels: {list(labels.index[:3])}..., samples: {list(ids[:3])}...); "
            "index the labels by the ids the data uses."
        )
    values = labels.to_numpy()[np.where(found < 0, 0, found)]
    return pd.Series(values).where(found >= 0).to_numpy()
