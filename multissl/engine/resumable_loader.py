"""A training loader whose data order and position inside an epoch survive a restart.

Lightning (>= 2.3) saves ``state_dict()`` of a training dataloader in every checkpoint and, when it resumes
inside an epoch, calls ``load_state_dict()`` before iterating again. torch's ``DataLoader`` has neither, and
its ``RandomSampler`` draws each epoch's order from a generator that a new process starts afresh, so a resumed
run saw a different order. torchdata's ``StatefulDataLoader`` would add another dependency; the state needed
here is two integers, so the loader below keeps it itself:

- the order of epoch ``e`` is a permutation drawn from ``(seed, e)`` alone (as ``DistributedSampler`` does),
  so any epoch's order is known without replaying earlier ones; Lightning calls ``set_epoch`` before each;
- the position is the number of batches handed out in the current epoch; a resumed epoch skips that many
  batches of indices (no sample is loaded to skip it). A sampler that yields whole batches (``batch_size=None``:
  speech's duration batches, graph seed batches) is skipped the same way, one batch per item. An
  ``IterableDataset`` (a streamed table) draws no indices: its skipped batches are read and dropped, so the
  resumed epoch goes on with the batches the interrupted one had not reached.

A plugin's loader is resumable when its epoch order is a function of ``(seed, epoch)`` and it derives from
:class:`ResumableDataLoader`; without ``state_dict``, Lightning would resume inside an epoch by training the
remaining number of steps from the epoch's first batch (its beginning twice, its end never).

Under several processes (DDP: ``ddp``, ``ddp_spawn``, torchrun, srun) each process takes a disjoint share of the
same epoch order, of equal length on every process, so every process takes the same number of steps. The sampler
is a ``DistributedSampler`` so that Lightning (``use_distributed_sampler``) keeps it rather than wrapping it in its
``DistributedSamplerWrapper``, which would pad the epoch with repeated samples when the size does not divide.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader, DistributedSampler, IterableDataset

from multissl import distributed
from multissl.engine.derived_seed import derived_seed


class EpochShuffleSampler(DistributedSampler):
    """Indices ``0..size-1`` in the order ``randperm(size)`` under a generator seeded by ``SeedSequence([seed, epoch])``;
    under ``W`` processes, process ``r`` takes ``order[r : W * (size // W) : W]``.

    The ``size % W`` samples at the end of an epoch's order are left out of that epoch (``DistributedSampler`` with
    ``drop_last=True``); the order changes each epoch, so which ones changes too. The process group is read at
    iteration, not construction: under ``ddp_spawn`` the loader is built before the group exists.
    """

    def __init__(self, size: int, seed: int) -> None:  # DistributedSampler's own __init__ asks for the process group
        self.size, self.seed, self.epoch = size, seed, 0

    @property
    def num_replicas(self) -> int:
        return distributed.world_size()

    @property
    def rank(self) -> int:
        return distributed.rank()

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size // self.num_replicas

    def __iter__(self) -> Iterator[int]:
        order = torch.randperm(self.size, generator=torch.Generator().manual_seed(derived_seed(self.seed, self.epoch)))
        replicas = self.num_replicas
        yield from order[self.rank : replicas * (self.size // replicas) : replicas].tolist()


class ResumableDataLoader(DataLoader):
    """A ``DataLoader`` with ``state_dict``/``load_state_dict``: ``{"epoch", "batches"}`` handed out so far.

    A loaded position applies to the epoch it was saved in; once Lightning moves the sampler to a later
    epoch (the saved epoch had finished), the next epoch starts at its beginning."""

    _position = 0
    _resume_at: tuple[int | None, int] | None = None
    _skip_batches = 0

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self._epoch(), "batches": self._position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._resume_at = (state["epoch"], int(state["batches"]))

    def __iter__(self) -> Iterator[Any]:
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        # a generator: the epoch is read at the first batch, after Lightning's set_epoch
        skip = self._take_resume_position()
        streamed = isinstance(self.dataset, IterableDataset)
        self._skip_batches = 0 if streamed else skip
        # a loader without a generator draws its workers' base seed from the global one when an iterator starts; the
        # run that was not interrupted drew it at the start of this epoch, before the checkpoint restored here
        resuming_without_generator = skip > 0 and self.generator is None
        try:
            with torch.random.fork_rng(devices=[]) if resuming_without_generator else contextlib.nullcontext():
                iterator = super().__iter__()
        finally:
            self._skip_batches = 0
        if streamed:
            iterator = itertools.islice(iterator, skip, None)
        self._position = skip
        for batch in iterator:
            self._position += 1
            yield batch

    @property
    def _index_sampler(self):
        sampler = super()._index_sampler
        return _SkipFirst(sampler, self._skip_batches) if self._skip_batches else sampler

    def _take_resume_position(self) -> int:
        """Batches to skip: the loaded position in its own epoch, none in a later one. A pass over an earlier
        epoch (a callback looking at a few batches before Lightning sets the epoch) leaves the position for later."""
        if self._resume_at is None:
            return 0
        saved_epoch, batches = self._resume_at
        epoch = self._epoch()
        if epoch is not None and saved_epoch is not None and epoch < saved_epoch:
            return 0
        self._resume_at = None
        return batches if epoch == saved_epoch else 0

    def _epoch(self) -> int | None:
        return getattr(self.sampler, "epoch", None)


class _SkipFirst:
    """``sampler`` without its first ``count`` items; its length stays the whole epoch's, which Lightning counts from."""

    def __init__(self, sampler, count: int) -> None:
        self.sampler, self.count = sampler, count

    def __iter__(self):
        return itertools.islice(iter(self.sampler), self.count, None)

    def __len__(self) -> int:
        return len(self.sampler)


class ApplyLoaderState(Callback):
    """Hands a resumed run's saved loader state to the loader before its first batch.

    Lightning applies it in ``FitLoop.setup_data``, but the optimizer's schedule asks for
    ``trainer.estimated_stepping_batches``, which runs ``setup_data`` before the checkpoint is restored; the
    state then waits unapplied. Loading it at ``on_train_start`` (restored, not yet iterated: the loader reads
    its position at the first batch) calls the same Lightning method that would have."""

    def on_train_start(self, trainer, pl_module) -> None:
        trainer.fit_loop._load_combined_loader_states()
