"""The samples fine-tuning labels, as a modality's loaded data holds them.

Most modalities batch one sample per dataset item (:class:`ItemSamples`, the default). Others give a modality
hook, :meth:`Modality.finetune_samples <multissl.modalities.base.Modality.finetune_samples>`, returning a
:class:`Samples` of their own: a full-batch graph is one item holding every node (each batch is the whole graph,
``ROWS_KEY`` names the nodes its loss reads); interaction logs label their items or users, whose embeddings the
method computes from the whole catalogue. Every batch a :class:`Samples` loader yields carries the targets of
the rows :meth:`Samples.embed` returns for it (under :data:`~multissl.finetuning.task_model.TARGET_KEY`), so a
task model reads ``head(samples.embed(encoder, batch))`` against ``batch[TARGET_KEY]`` whatever the modality.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, Subset

from multissl.errors import InvalidDataError
from multissl.finetuning.task_model import TARGET_KEY

ROWS_KEY = "finetune_rows"
"""Batch key of the (B,) indices, among the rows the method's ``embed`` gives for the batch, of the samples it
labels (absent: every row is a sample)."""


class Samples:
    """Labelled samples of loaded data. Subclasses set how many there are, how a sorted subset of them is batched
    (with its targets), and which rows of the method's embeddings they are."""

    def __len__(self) -> int:
        raise NotImplementedError

    def loader(self, indices: np.ndarray | None, targets: torch.Tensor | None, *, batch_size: int, shuffle: bool,
               seed: int) -> Iterable[dict[str, Any]]:
        """Batches of the samples ``indices`` (sorted; ``None``: every sample, in order); with ``targets`` (one per
        sample of the data) each batch holds those of its samples under ``TARGET_KEY``, in the order of
        :meth:`embed`'s rows."""
        raise NotImplementedError

    def embed(self, method, batch: dict[str, Any]) -> torch.Tensor:
        """(B, D) embeddings of the batch's samples: ``method.embed(batch)``, the rows ``batch[ROWS_KEY]`` when set."""
        out = method.embed(batch)
        rows = batch.get(ROWS_KEY)
        return out if rows is None else out[rows]

    def labels(self, column: str | None) -> np.ndarray | None:
        """The labels the data carries (its label column ``column`` where the samples read one), one per sample."""
        return None

    def labelled(self, values: np.ndarray) -> np.ndarray:
        """Indices of the samples that have a label in ``values`` (default: all)."""
        return np.arange(len(values))

    def given_split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(train, validation, test)`` sample indices when the data fixes its own split (a graph's Planetoid
        masks), else ``None``: fine-tuning draws a seeded split."""
        return None

    def sample_ids(self) -> Sequence | None:
        """The id of each sample, in order (to align labels given as a Series indexed by id); ``None``: 0..N-1."""
        return None


class ItemSamples(Samples):
    """Each item of the modality's dataset is one sample: batched by the modality's own ``dataloader``."""

    def __init__(self, modality, raw: Any) -> None:
        self.modality = modality
        self.raw = raw
        self.dataset = modality.dataset(raw)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            raise InvalidDataError(
                f"This {self.modality.name!r} data is streamed (read in record batches, its length unknown ahead), so "
                "fine-tuning cannot pair its samples with labels. Load the labelled samples in memory and pass them "
                "as the data (a table: the labelled rows as a DataFrame, e.g. pandas.read_parquet(path, filters=...)); "
                "the tuned run still predicts on streamed data."
            )
        return len(self.dataset)

    def loader(self, indices, targets, *, batch_size, shuffle, seed):
        if indices is None and targets is None:  # every sample in order: also streamed data, whose length is unknown
            return self.modality.dataloader(self.dataset, batch_size=batch_size, shuffle=False, drop_last=False,
                                            num_workers=0, seed=seed)
        indices = np.arange(len(self)) if indices is None else indices
        if targets is None:
            items, modality = Subset(self.dataset, indices.tolist()), self.modality
        else:
            items, modality = Subset(_LabelledItems(self.dataset, targets), indices.tolist()), _labelled_modality(self.modality)
        batch_size = min(batch_size, len(indices))
        return modality.dataloader(items, batch_size=batch_size, shuffle=shuffle,
                                   drop_last=shuffle and len(indices) % batch_size == 1, num_workers=0, seed=seed)

    def labels(self, column):
        return self.modality.labels(self.raw)

    def sample_ids(self):
        return self.modality.sample_ids(self.raw)


def samples_of(modality, raw: Any, what: str | None = None) -> Samples:
    """The samples of ``raw``: the modality's own (:meth:`~multissl.modalities.base.Modality.finetune_samples`,
    which reads ``what``), else one per dataset item."""
    samples = modality.finetune_samples(raw, what)
    if samples is not None:
        return samples
    if what is not None:
        raise InvalidDataError(
            f"what={what!r} names a table of samples, but the {modality.name!r} modality has none: its samples are "
            "the data's own. Drop what."
        )
    return ItemSamples(modality, raw)


class _LabelledItems(Dataset):
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


def _labelled_modality(modality):
    """A shallow copy of ``modality`` whose ``collate`` batches ``(item, target)`` pairs: the modality's batch plus
    the targets. Its ``dataloader`` (the modality's own batching, e.g. by duration) then keeps each label with its
    sample."""
    labelled = copy.copy(modality)
    collate = modality.collate

    def collate_labelled(items: list[tuple[Any, torch.Tensor]], **options: Any) -> dict[str, Any]:
        batch = collate([item for item, _ in items], **options)
        return {**batch, TARGET_KEY: torch.stack([target for _, target in items])}

    labelled.collate = collate_labelled
    return labelled
