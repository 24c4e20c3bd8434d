"""A graph's nodes as fine-tuning's samples (:meth:`Graph.finetune_samples <multissl_graph.modality.Graph.finetune_samples>`).

Node classification as GCN trains it (Kipf & Welling 2017): every step is the whole graph, the loss is read on the
labelled training nodes only, and early stopping reads the loss of the validation nodes in the same graph. The
split is the data's own when it has one (Planetoid's ``train_mask`` / ``val_mask`` / ``test_mask``); otherwise
fine-tuning draws a seeded split of the labelled nodes (``y >= 0``). Predictions are one per node, in node order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from multissl.errors import InvalidDataError
from multissl.finetuning.samples import ROWS_KEY, Samples
from multissl.finetuning.task_model import TARGET_KEY


class NodeSamples(Samples):
    """The nodes of one graph loaded by the ``graph`` modality (full batch)."""

    def __init__(self, modality, raw: Any) -> None:
        if modality.options.loader != "full":
            raise InvalidDataError(
                "Fine-tuning trains node classification on the full graph; this run samples neighbourhoods "
                "(data.loader: neighbor). Fine-tune with a copy of the run whose data.loader is full."
            )
        self.modality = modality
        self.raw = raw
        self.graph = modality.transform(raw)

    def __len__(self) -> int:
        return int(self.graph["x"].shape[0])

    def loader(self, indices, targets, *, batch_size, shuffle, seed):
        """One batch: the whole graph, its rows ``indices`` (every node when ``None``) the samples it labels."""
        rows = torch.arange(len(self)) if indices is None else torch.as_tensor(indices, dtype=torch.long)
        batch = {**self.graph, ROWS_KEY: rows}
        if targets is not None:
            batch[TARGET_KEY] = targets[rows]
        return DataLoader([batch], batch_size=None, collate_fn=_as_is)

    def labels(self, column):
        if column is not None:
            raise InvalidDataError(
                f"A graph's labels are its node labels (data.y); it has no label column {column!r}. Pass labels as an "
                "array with one class per node (-1 for unknown)."
            )
        return self.modality.labels(self.raw)

    def labelled(self, values: np.ndarray) -> np.ndarray:
        """The nodes with a label: all of them, except those marked -1 (unknown) in integer labels."""
        if values.dtype.kind in "iu":
            return np.flatnonzero(values >= 0)
        return np.arange(len(values))

    def given_split(self):
        """The graph's ``train_mask`` / ``val_mask`` / ``test_mask`` nodes (labelled ones), when it has all three."""
        masks = [getattr(self.raw, name, None) for name in ("train_mask", "val_mask", "test_mask")]
        if any(mask is None for mask in masks):
            return None
        known = self.graph["y"] >= 0
        train, val, test = (np.flatnonzero((mask.bool() & known).numpy()) for mask in masks)
        return (train, val, test) if len(train) and len(val) and len(test) else None

    def sample_ids(self):
        return self.modality.sample_ids(self.raw)


def _as_is(batch: dict[str, Any]) -> dict[str, Any]:
    return batch
