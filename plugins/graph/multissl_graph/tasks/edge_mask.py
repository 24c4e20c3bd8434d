"""EdgeMask (Jin et al. 2020): hide a share of the edges, then tell them from non-edges.

A fixed ``mask_ratio`` of undirected edges (drawn once with the run's seed) is removed from the graph
the encoder trains on. Each step pairs the masked edges with as many sampled non-edges and
minimises ``CE(W |h_u - h_v|, [uv is an edge])``. Differences from SelfTask-GNN ``selfsl.py``: it masks
10% of the adjacency's directed entries (a pair may lose one direction only) and draws its non-edges
once; here whole undirected edges are masked and non-edges are drawn each step by rejection.
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask, TrainingInputs, pair_difference


class EdgeMask(PretextTask):
    """Masked-edge versus non-edge classification."""

    whole_graph = "each step scores the masked edges and sampled non-edges of the whole graph, pairs of any two nodes"

    def __init__(self, hidden_dim: int, input_spec, mask_ratio: float = 0.1) -> None:
        super().__init__(hidden_dim, input_spec)
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), got {mask_ratio}")
        self.head = nn.Linear(hidden_dim, 2)
        self.mask_ratio = mask_ratio
        self.masked = torch.empty(0, 2, dtype=torch.long)
        self.kept_edge_index = torch.empty(2, 0, dtype=torch.long)
        self.edge_keys = torch.empty(0, dtype=torch.long)
        self.num_nodes = 0

    def build_targets(self, graph, seed):
        edge_index, num_nodes = graph["edge_index"], graph["x"].shape[0]
        edges = edge_index.cpu()
        undirected = edges[:, edges[0] < edges[1]].t()
        order = torch.randperm(len(undirected), generator=torch.Generator().manual_seed(seed))
        n_masked = max(1, int(round(self.mask_ratio * len(undirected))))
        device = edge_index.device
        self.masked = undirected[order[:n_masked]].to(device)
        kept = undirected[order[n_masked:]].t()
        self.kept_edge_index = torch.cat([kept, kept.flip(0)], dim=1).to(device)
        self.edge_keys = (edges[0] * num_nodes + edges[1]).sort().values.to(device)
        self.num_nodes = num_nodes

    def training_inputs(self, x, edge_index, nodes=None):
        return TrainingInputs(x, self.kept_edge_index)

    def sample_non_edges(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """Up to ``count`` (u, v) pairs with ``u != v`` that are not edges of the full graph."""
        candidates = torch.randint(self.num_nodes, (4 * count, 2), generator=generator, device=generator.device)
        keys = candidates[:, 0] * self.num_nodes + candidates[:, 1]
        valid = (candidates[:, 0] != candidates[:, 1]) & ~torch.isin(keys, self.edge_keys)
        return candidates[valid][:count]

    def loss(self, h, generator, nodes=None, inputs=None):
        negatives = self.sample_non_edges(len(self.masked), generator)
        pairs = torch.cat([self.masked, negatives])
        targets = torch.cat([torch.ones(len(self.masked)), torch.zeros(len(negatives))]).long().to(h.device)
        loss = nn.functional.cross_entropy(self.head(pair_difference(h, pairs)), targets)
        return loss, {"edge_mask": loss.detach()}
