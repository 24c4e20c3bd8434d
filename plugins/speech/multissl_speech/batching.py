"""Batches bounded by total (padded) duration instead of by count, as fairseq's ``max_tokens`` does, shared out
between data-parallel processes.

lhotse's ``DynamicBucketingSampler`` does this for lhotse ``CutSet`` manifests; the clips here are an index of
files and arrays, and the sampler needs fixed batches that split evenly between processes, so this small one
(sort, cut greedily, deal out) stands instead of converting every corpus into lhotse's manifests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset
from torch.utils.data.distributed import DistributedSampler

from multissl import distributed
from multissl.errors import InvalidDataError


class DurationBatchSampler(DistributedSampler):
    """Batches whose padded duration ``len(batch) × longest clip`` stays within ``max_seconds`` (and at most
    ``max_count`` clips); a clip longer than ``max_seconds`` alone forms a batch. Yields lists of indices.

    With ``shuffle`` (training) clips are sorted by duration and cut greedily into batches once, so little
    padding is wasted and the number of batches per epoch is fixed; the order of the batches changes every epoch
    (seeded by ``seed`` and the epoch Lightning passes to ``set_epoch``). Under data parallelism each process
    takes every ``world_size``-th batch of that order: the processes see disjoint clips, every clip once an
    epoch, in equally many steps (the largest batches are halved until the count divides by the world size;
    only when no batch has two clips left to halve are the first batches repeated). The rank and world size are
    read when iterating (:mod:`multissl.distributed`), because ``ddp_spawn`` builds loaders before its processes.

    Without ``shuffle``, consecutive clips are cut greedily in input order and every process reads them all, so
    embeddings and evaluations come back in input order.

    It is a ``DistributedSampler`` so that Lightning (``use_distributed_sampler``) leaves it in place instead of
    wrapping it in one of its own, which cannot batch by duration.
    """

    def __init__(self, durations: Sequence[float], max_seconds: float, max_count: int, *,
                 shuffle: bool, seed: int = 0, drop_last: bool = False) -> None:
        if max_seconds <= 0 or max_count < 1:
            raise InvalidDataError(f"max_batch_seconds must be > 0 and the batch size >= 1, got {max_seconds} and {max_count}.")
        self.durations = np.asarray(durations, dtype=np.float64)
        order = np.argsort(self.durations, kind="stable") if shuffle else np.arange(len(self.durations))
        batches, current, longest = [], [], 0.0
        for index in order:
            grown = max(longest, self.durations[index])
            if current and ((len(current) + 1) * grown > max_seconds or len(current) == max_count):
                batches.append(current)
                current, grown = [], self.durations[index]
            current.append(int(index))
            longest = grown
        if current and not (drop_last and batches and len(current) * longest < 0.5 * max_seconds and len(current) < max_count):
            batches.append(current)
        self.batches = batches
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0

    @property
    def num_replicas(self) -> int:
        return distributed.world_size() if self.shuffle else 1

    @property
    def rank(self) -> int:
        return distributed.rank() if self.shuffle else 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        batches = self._shared_batches(self.num_replicas)
        if not self.shuffle:
            yield from batches
            return
        order = torch.randperm(len(batches), generator=torch.Generator().manual_seed(self.seed * 7919 + self.epoch))
        for i in order.tolist()[self.rank::self.num_replicas]:
            yield batches[i]

    def __len__(self) -> int:
        return len(self._shared_batches(self.num_replicas)) // self.num_replicas

    def _shared_batches(self, world: int) -> list[list[int]]:
        """The batches, their number made a multiple of ``world``: the largest are halved, else the first repeated."""
        batches = list(self.batches)
        while len(batches) % world:
            largest = max(range(len(batches)), key=lambda i: (len(batches[i]), -i))
            if len(batches[largest]) < 2:
                batches += [batches[i % len(batches)] for i in range(world - len(batches) % world)]
                break
            half = len(batches[largest]) // 2
            batches[largest: largest + 1] = [batches[largest][:half], batches[largest][half:]]
        return batches


class BatchItems(Dataset):
    """``dataset`` read a batch at a time: ``items[[i, j, ...]]`` is ``[dataset[i], dataset[j], ...]`` (for a
    ``DataLoader`` whose sampler yields lists of indices, with ``batch_size=None``)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, indices: list[int]) -> list:
        return [self.dataset[i] for i in indices]
