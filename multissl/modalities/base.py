"""The modality contract every data type implements (the core's ``vectors`` and each plugin's).

Data path: ``load(source)`` turns what a user holds (a path, a DataFrame, arrays, a PyG graph) into
the modality's raw container and validates it; ``fit(raw)`` fits the preprocessing on training data;
``dataset(raw)`` gives a map-style ``torch.utils.data.Dataset`` of preprocessed items, batched by
``collate`` into a ``dict`` of tensors. The fitted state (``state_dict``) is saved with the run, so
``embed`` on new data reapplies exactly the preprocessing of training.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset

from multissl.engine.resumable_loader import EpochShuffleSampler, ResumableDataLoader

PreprocessingState = dict[str, Any]
"""Values are numpy arrays / tensors (saved as safetensors) or JSON-serialisable objects."""


@dataclasses.dataclass
class NoOptions:
    """A modality without options."""


class Modality(abc.ABC):
    """A data type. Subclasses set ``name`` and ``Options`` (a dataclass of recipe ``data`` keys)."""

    name: ClassVar[str]
    Options: ClassVar[type] = NoOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = {}
    """Per-method default options on this modality, under the recipe's (e.g. ``{"simclr": {"encoder": "cnn1d"}}``)."""

    def __init__(self, options: Any = None) -> None:
        self.options = options if options is not None else self.Options()
        self.fitted = False

    @abc.abstractmethod
    def load(self, source: Any) -> Any:
        """Turn ``source`` into this modality's raw container; raise ``multissl.errors`` on bad input."""

    @abc.abstractmethod
    def fit(self, raw: Any) -> None:
        """Fit the preprocessing on training data; set ``self.fitted = True``."""

    @abc.abstractmethod
    def dataset(self, raw: Any) -> Dataset:
        """A map-style dataset of preprocessed items (the preprocessing must be fitted)."""

    @abc.abstractmethod
    def collate(self, items: list[Any]) -> dict[str, torch.Tensor]:
        """Batch items into a dict of tensors, the batch format this modality's methods read."""

    @abc.abstractmethod
    def input_spec(self) -> dict[str, Any]:
        """Keyword arguments an encoder needs to accept this data (e.g. ``{"input_dim": 30}``)."""

    @abc.abstractmethod
    def state_dict(self) -> PreprocessingState:
        """The fitted preprocessing state."""

    @abc.abstractmethod
    def load_state_dict(self, state: PreprocessingState) -> None:
        """Restore the state ``state_dict`` returned; sets ``self.fitted = True``."""

    @abc.abstractmethod
    def example(self) -> Any:
        """A small source ``load`` accepts (a few dozen samples), for conformance tests and docs."""

    def labels(self, raw: Any) -> np.ndarray | None:
        """Labels carried by the raw data (e.g. a label column), used only for evaluation."""
        return None

    def sample_ids(self, raw: Any) -> Sequence | None:
        """The id of each embedded sample, in ``embed`` order (a DataFrame's index, file names, node or user ids),
        or ``None`` (the default): the samples are numbered ``0..N-1``. ``Run.embed(data, as_frame=True)`` and
        ``multissl embed`` index the embeddings with them; the length must equal the number of embeddings."""
        return None

    def export_batch(self, raw: Any, limit: int | None = None) -> dict[str, Any]:
        """The batch an exported encoder (``multissl export``) reads for ``raw``, or for its first ``limit`` samples.

        Default: the modality's own batch of the preprocessed items (``collate``), so the export's inputs are the
        tensors after preprocessing. A modality whose preprocessing is a tensor op returns the tensors before it
        and gives that op as :meth:`export_preprocessing`, which the export then includes."""
        dataset = self.dataset(raw)
        count = len(dataset) if limit is None else min(limit, len(dataset))
        return self.collate([dataset[i] for i in range(count)])

    def export_preprocessing(self) -> torch.nn.Module | None:
        """A module ``batch -> batch`` that applies the preprocessing to :meth:`export_batch`'s tensors inside an
        exported encoder (e.g. standardisation), or ``None`` (the default: the export reads preprocessed batches,
        and the fitted state is written beside it as JSON)."""
        return None

    def finetune_samples(self, raw: Any, what: str | None = None) -> Any:
        """The samples fine-tuning labels in ``raw`` when they are not one per :meth:`dataset` item: a
        :class:`~multissl.finetuning.samples.Samples` (a full-batch graph's nodes; ``what`` names another table of
        samples, e.g. an interaction log's ``items``), or ``None`` (the default): each dataset item is one sample."""
        return None

    def baseline_features(self, raw: Any) -> np.ndarray | None:
        """A fixed (N, F) representation to compare embeddings against (e.g. the raw features)."""
        return None

    def validation_split(self, dataset: Dataset, val_fraction: float, seed: int) -> tuple[Dataset, Dataset | None] | None:
        """``(train, validation)`` datasets when this modality holds out validation data its own way (a graph's
        ``val_mask`` nodes), or ``None`` (the default) for the engine's seeded split of ``val_fraction`` of the samples."""
        return None

    def dataloader(
        self, dataset: Dataset, *, batch_size: int, shuffle: bool, drop_last: bool, num_workers: int, seed: int,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> DataLoader:
        """Batches of ``dataset``, put together by ``collate_fn`` (default :meth:`collate`; an override passes its own,
        e.g. one that crops at random); modalities with their own batching (by duration, graphs) override this.

        Shuffled batches come from a :class:`~multissl.engine.resumable_loader.ResumableDataLoader`: each
        epoch's order depends on ``(seed, epoch)`` only, and a run resumed inside an epoch continues where it stopped.
        Under several processes (DDP) each takes a disjoint share of that order, equal in length on every process
        (Lightning keeps the sampler: it is a ``DistributedSampler``)."""
        generator = torch.Generator().manual_seed(seed)  # worker seeds: the global RNG stays untouched
        options = dict(
            batch_size=batch_size, drop_last=drop_last, num_workers=num_workers, collate_fn=collate_fn or self.collate,
            persistent_workers=num_workers > 0,
        )
        if shuffle and not isinstance(dataset, IterableDataset):
            return ResumableDataLoader(dataset, sampler=EpochShuffleSampler(len(dataset), seed), generator=generator, **options)
        return DataLoader(dataset, shuffle=shuffle, generator=generator if shuffle else None, **options)
