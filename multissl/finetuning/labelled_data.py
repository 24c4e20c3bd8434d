"""Labelled batches for fine-tuning: each item of the modality's dataset paired with its target.

The target travels inside the batch (under :data:`~multissl.finetuning.task_model.TARGET_KEY`), so modalities that
reorder or group samples (batches by duration) keep every label with its sample.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from multissl.errors import InvalidDataError
from multissl.finetuning.task_model import TARGET_KEY


class LabelledDataset(Dataset):
    """``(item, target)`` pairs; other attributes (e.g. a speech dataset's ``durations``) come from ``dataset``."""

    def __init__(self, dataset: Dataset, targets: torch.Tensor) -> None:
        self.dataset = dataset
        self.targets = targets

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Any, torch.Tensor]:
        return self.dataset[index], self.targets[index]

    def __getattr__(self, name: str) -> Any:
        if name in ("dataset", "targets"):
            raise AttributeError(name)
        return getattr(self.dataset, name)


def labelled_modality(modality):
    """A shallow copy of ``modality`` whose ``collate`` batches ``(item, target)`` pairs: the modality's batch
    plus the targets. Its ``dataloader`` (the modality's own batching) then yields labelled batches."""
    labelled = copy.copy(modality)
    collate = modality.collate

    def collate_labelled(items: list[tuple[Any, torch.Tensor]], **options: Any) -> dict[str, Any]:
        batch = collate([item for item, _ in items], **options)
        return {**batch, TARGET_KEY: torch.stack([target for _, target in items])}

    labelled.collate = collate_labelled
    return labelled


def check_one_sample_per_item(run, modality, raw, dataset: Dataset, n_labels: int) -> None:
    """Fine-tuning pairs each dataset item with one label. A label count that differs from the number of samples
    is the user's error; a modality that batches otherwise (a whole graph as one item) is refused with the reason."""
    try:
        n_items = len(dataset)
    except TypeError:
        n_items = None
    if n_items == n_labels:
        return
    n_samples = len(run.embed_loaded(raw, modality=modality))  # only on this error path: how many samples are there?
    if n_samples != n_labels:
        raise InvalidDataError(f"Got {n_labels} labels for {n_samples} samples; pass one label per sample, in data order.")
    held = "streamed data of unknown length" if n_items is None else f"{n_items} dataset item(s)"
    raise InvalidDataError(
        f"Fine-tuning pairs every sample the {modality.name!r} modality batches with one label, but this data gives "
        f"{held} for {n_labels} labelled samples. Modalities whose batches are not one sample per label (a full-batch "
        "graph, interaction logs, streamed tables) cannot be fine-tuned here: evaluate them with their own evaluators "
        "(multissl evaluate), or load the data in memory."
    )


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
