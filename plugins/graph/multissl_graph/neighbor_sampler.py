"""Uniform neighbour sampling (GraphSAGE, Hamilton et al. 2017) as a PyG sampler, in plain torch.

PyG's own ``NeighborSampler`` needs ``pyg-lib`` or ``torch-sparse``, which have no wheels for this
torch (2.13, CPU) on PyPI; this sampler gives the same output format (seed nodes
first, then each hop's new nodes; ``(row, col)`` = (neighbour, node it sends to)), vectorised over the
frontier. Per hop ``k``, a node with at most ``k`` neighbours keeps all of them; a node with more
draws ``k`` positions uniformly with replacement (duplicates removed). One (N,) index buffer is
allocated once per process and reset after each batch, so memory per batch depends on the batch, not on N.
"""

from __future__ import annotations

import torch
from torch_geometric.sampler import BaseSampler, NodeSamplerInput, SamplerOutput


class UniformNeighborSampler(BaseSampler):
    """``num_neighbors[i]`` neighbours per node at hop ``i``, seeded by ``seed``."""

    def __init__(self, edge_index: torch.Tensor, num_nodes: int, num_neighbors: list[int], seed: int = 0) -> None:
        order = torch.argsort(edge_index[1], stable=True)  # by receiving node (CSC)
        self.sources = edge_index[0][order]
        self.edge_ids = order
        self.pointer = torch.zeros(num_nodes + 1, dtype=torch.long)
        self.pointer[1:] = torch.cumsum(torch.bincount(edge_index[1], minlength=num_nodes), 0)
        self.num_neighbors = list(num_neighbors)
        self.local = torch.full((num_nodes,), -1, dtype=torch.long)
        self.generator = torch.Generator().manual_seed(seed)

    def __getstate__(self) -> dict:
        # the work buffer stays in its process: sent to another (ddp_spawn, spawned workers) a tensor moves to shared
        # memory, and two processes sampling at once would overwrite each other's entries
        return {**self.__dict__, "local": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.local = torch.full((len(self.pointer) - 1,), -1, dtype=torch.long)

    def _hop(self, frontier: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(positions into the CSC arrays, receiving node) of the sampled edges into ``frontier``."""
        start, degree = self.pointer[frontier], self.pointer[frontier + 1] - self.pointer[frontier]
        keep_all = degree <= k
        counts = degree[keep_all]
        offsets = torch.arange(int(counts.sum())) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        all_positions = torch.repeat_interleave(start[keep_all], counts) + offsets
        all_targets = torch.repeat_interleave(frontier[keep_all], counts)
        many = ~keep_all
        draws = (torch.rand(int(many.sum()), k, generator=self.generator) * degree[many, None]).long()
        drawn = (start[many, None] + draws).flatten()
        positions = torch.cat([all_positions, drawn])
        targets = torch.cat([all_targets, frontier[many].repeat_interleave(k)])
        positions, first = torch.unique(positions, return_inverse=True)
        return positions, targets.new_empty(len(positions)).scatter_(0, first, targets)

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs) -> SamplerOutput:
        seeds = index.node
        self.local[seeds] = torch.arange(len(seeds))
        nodes, frontier = [seeds], seeds
        rows, cols, edges, sampled_nodes, sampled_edges = [], [], [], [len(seeds)], []
        count = len(seeds)
        for k in self.num_neighbors:
            positions, targets = self._hop(frontier, k)
            sources = self.sources[positions]
            new = torch.unique(sources[self.local[sources] < 0])
            self.local[new] = torch.arange(count, count + len(new))
            count += len(new)
            rows.append(self.local[sources])
            cols.append(self.local[targets])
            edges.append(self.edge_ids[positions])
            nodes.append(new)
            sampled_nodes.append(len(new))
            sampled_edges.append(len(positions))
            frontier = new
        node = torch.cat(nodes)
        self.local[node] = -1
        return SamplerOutput(
            node=node, row=torch.cat(rows), col=torch.cat(cols), edge=torch.cat(edges), batch=None,
            num_sampled_nodes=sampled_nodes, num_sampled_edges=sampled_edges, metadata=(index.input_id, index.time),
        )

    def sample_from_edges(self, index, neg_sampling=None):
        raise NotImplementedError("UniformNeighborSampler samples around seed nodes only (NodeLoader).")

    @property
    def edge_permutation(self):
        return None
