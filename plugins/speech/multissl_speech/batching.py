"""Batches bounded by total (padded) duration instead of by count, as fairseq's ``max_tokens`` does."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch.utils.data import Sampler

from multissl.errors import InvalidDataError


class DurationBatchSampler(Sampler[list[int]]):
    """Batches whose padded duration ``len(batch) × longest clip`` stays within ``max_seconds`` (and at most
    ``max_count`` clips); a clip longer than ``max_seconds`` alone forms a batch.

    With ``shuffle`` (training) clips are sorted by duration and cut greedily into batches once, so little
    padding is wasted and the number of batches per epoch is fixed; the order of the batches changes every epoch
    (seeded by ``seed`` and the epoch Lightning passes to ``set_epoch``). Without it, consecutive clips are cut
    greedily in input order, so embeddings come back in input order.
    """

    def __init__(self, durations: Sequence[float], max_seconds: float, max_count: int, *,
                 shuffle: bool, seed: int = 0, drop_last: bool = False) -> None:
        if max_seconds <= 0 or max_count < 1:
            raise InvalidDataError(f"max_batch_seconds must be > 0 and the batch size >= 1, got {max_seconds} and {max_count}.")
        durations = np.asarray(durations, dtype=np.float64)
        order = np.argsort(durations, kind="stable") if shuffle else np.arange(len(durations))
        batches, current, longest = [], [], 0.0
        for index in order:
            grown = max(longest, durations[index])
            if current and ((len(current) + 1) * grown > max_seconds or len(current) == max_count):
                batches.append(current)
                current, grown = [], durations[index]
            current.append(int(index))
            longest = grown
        if current and not (drop_last and batches and len(current) * longest < 0.5 * max_seconds and len(current) < max_count):
            batches.append(current)
        self.batches = batches
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[list[int]]:
        if not self.shuffle:
            yield from self.batches
            return
        order = torch.randperm(len(self.batches), generator=torch.Generator().manual_seed(self.seed * 7919 + self.epoch))
        for i in order.tolist():
            yield self.batches[i]

    def __len__(self) -> int:
        return len(self.batches)
