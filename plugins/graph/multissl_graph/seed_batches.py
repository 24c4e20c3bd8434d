"""Neighbour mini-batches of a large graph: seed nodes with their sampled neighbourhoods (GraphSAGE, Hamilton et
al. 2017), each process training on its own share of the seeds.

An epoch's seed order is a permutation of the nodes drawn from ``(seed, epoch)`` alone, as ``DistributedSampler``
does, cut into ``world * S`` batches for ``world`` processes. With ``drop_last``, ``S = N // (world * B)`` batches of
exactly ``B`` seeds (the end of the permutation waits for another epoch); without, ``S = ceil(N / (world * B))``
batches of at most ``B`` seeds, sizes differing by at most one, so that every node is a seed exactly once. Process
``r`` takes batches ``r, r + world, ...``: disjoint seeds and the same number of steps in every process, which DDP
needs (a process with one more step would wait for gradients that never come). Rank and world size are read from
``torch.distributed`` when an epoch starts, so a loader built before the processes start (``ddp_spawn``) or in each
of them (torchrun, srun) shards alike. Without shuffling (inference) nothing is sharded: each process sees every node,
in order. The neighbours of batch ``b`` of epoch ``e`` are drawn from ``(seed, e, b)``, so a batch is the same whichever
worker or process makes it, and inference gives the same embeddings run after run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from torch_geometric.sampler import NodeSamplerInput

from multissl import distributed
from multissl.engine.derived_seed import derived_seed
from multissl.engine.resumable_loader import ResumableDataLoader
from multissl.errors import RecipeError
from multissl_graph.neighbor_sampler import UniformNeighborSampler


def process_share() -> tuple[int, int]:
    """``(rank, world_size)`` of this process; ``(0, 1)`` outside a process group."""
    return distributed.rank(), distributed.world_size()


class SeedBatchSampler(DistributedSampler):
    """Yields ``(key, seed_nodes)`` for this process's batches of one epoch; ``key`` seeds the batch's neighbour draw.

    A ``DistributedSampler`` so that Lightning keeps it instead of wrapping the loader in one of its own (which
    would shard single nodes, not batches, and could not give every process the same number of batches); it is
    built without a process group, and reads the rank at each epoch (:func:`process_share`)."""

    def __init__(self, num_nodes: int, batch_size: int, *, shuffle: bool, drop_last: bool, seed: int) -> None:
        # DistributedSampler.__init__ is not called: it reads the process group, which need not exist yet
        if batch_size < 1:
            raise RecipeError(f"loader.batch_size must be at least 1 seed node, got {batch_size}.")
        self.num_nodes, self.batch_size, self.shuffle, self.drop_last, self.seed = num_nodes, batch_size, shuffle, drop_last, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches_per_process(self, world: int) -> int:
        if not self.shuffle:
            return math.ceil(self.num_nodes / self.batch_size)
        if self.drop_last:
            return self.num_nodes // (world * self.batch_size)
        return math.ceil(self.num_nodes / (world * self.batch_size))

    def __len__(self) -> int:
        return self.batches_per_process(process_share()[1])

    def __iter__(self) -> Iterator[tuple[int, torch.Tensor]]:
        rank, world = process_share() if self.shuffle else (0, 1)
        steps = self.batches_per_process(world)
        if steps == 0:
            raise RecipeError(
                f"{self.num_nodes} seed nodes make no full batch of {self.batch_size} for each of {world} processes; "
                f"lower loader.batch_size to at most {self.num_nodes // world}, or set loader.drop_last to false."
            )
        if self.shuffle:
            order = torch.randperm(self.num_nodes, generator=torch.Generator().manual_seed(derived_seed(self.seed, self.epoch)))
        else:
            order = torch.arange(self.num_nodes)
        if self.drop_last and self.shuffle:
            batches = order[: world * steps * self.batch_size].view(world * steps, self.batch_size)
        else:
            batches = torch.tensor_split(order, world * steps)
        for index in range(rank, world * steps, world):
            yield derived_seed(self.seed, self.epoch, index), batches[index]


class NeighborBatches(Dataset):
    """``dataset[(key, seeds)]``: the batch of ``seeds`` and their sampled neighbourhoods, in the full-batch format
    plus ``n_id`` (global ids, seeds first) and ``seed_count``; only seed nodes count in ``train_mask`` and
    ``val_mask``."""

    def __init__(self, graph: dict[str, torch.Tensor], num_neighbors: list[int]) -> None:
        self.graph = graph
        self.sampler = UniformNeighborSampler(graph["edge_index"], int(graph["x"].shape[0]), num_neighbors)

    def __len__(self) -> int:
        return int(self.graph["x"].shape[0])

    def __getitem__(self, item: tuple[int, torch.Tensor]) -> dict[str, torch.Tensor]:
        key, seeds = item
        self.sampler.generator.manual_seed(key)
        out = self.sampler.sample_from_nodes(NodeSamplerInput(input_id=None, node=seeds))
        nodes, count = out.node, len(seeds)
        is_seed = torch.arange(len(nodes)) < count
        graph = self.graph
        return {
            "x": graph["x"][nodes], "edge_index": torch.stack([out.row, out.col]), "y": graph["y"][nodes],
            "train_mask": graph["train_mask"][nodes] & is_seed, "val_mask": graph["val_mask"][nodes] & is_seed,
            "n_id": nodes, "seed_count": torch.tensor(count),
        }


def _as_is(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return batch


class NeighborLoader(ResumableDataLoader):
    """Adds ``graph`` (the whole preprocessed graph, for targets computed once) to each batch in the process that
    trains: a batch made by a worker process passes through shared memory, and the graph with it would be copied
    there at every batch. A run resumed inside an epoch goes on with the seed batches it had not reached."""

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        graph = self.dataset.graph
        for batch in super().__iter__():
            yield {**batch, "graph": graph}


def neighbor_loader(graph: dict[str, torch.Tensor], num_neighbors: list[int], batch_size: int, *, shuffle: bool,
                    drop_last: bool, num_workers: int, seed: int) -> DataLoader:
    """Batches of ``batch_size`` seed nodes with ``num_neighbors[i]`` neighbours sampled per node at hop ``i``."""
    sampler = SeedBatchSampler(int(graph["x"].shape[0]), batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed)
    return NeighborLoader(NeighborBatches(graph, num_neighbors), sampler=sampler, batch_size=None, collate_fn=_as_is,
                          num_workers=num_workers, persistent_workers=num_workers > 0)
