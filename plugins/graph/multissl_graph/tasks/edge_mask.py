"""EdgeMask (Jin et al. 2020): hide a share of the edges, then tell them from non-edges.

A fixed ``mask_ratio`` of undirected edges (drawn once with the run's seed) is removed from the graph
the encoder trains on. Each step pairs the masked edges with as many sampled non-edges and
minimises ``CE(W |h_u - h_v|, [uv is an edge])``. Differences from SelfTask-GNN ``selfsl.py``: it masks
10% of the adjacency's directed entries (a pair may lose one direction only) and draws its non-edges
once; here whole undirected edges are masked and non-edges are drawn each step by rejection.

On a neighbour-loader mini-batch the masked edges are drawn over the whole graph as above; the sampled edges that
are masked are left out of the batch's message graph and are its positive pairs, against as many non-edges
between the batch's nodes (seeds and sampled neighbours: the loss reads every row of the batch).
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.tasks.base import PretextTask, TrainingInputs, pair_difference


class EdgeMask(PretextTask):
    """Masked-edge versus non-edge classification."""

    reads_neighbourhood = True

    def __init__(self, hidden_dim: int, input_spec, mask_ratio: float = 0.1) -> None:
        super().__init__(hidden_dim, input_spec)
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), got {mask_ratio}")
        self.head = nn.Linear(hidden_dim, 2)
        self.mask_ratio = mask_ratio
        self.masked = torch.empty(0, 2, dtype=torch.long)
        self.kept_edge_index = torch.empty(2, 0, dtype=torch.long)
        self.edge_keys = torch.empty(0, dtype=torch.long)
        self.masked_keys = torch.empty(0, dtype=torch.long)
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
        masked = self.masked.t()
        self.masked_keys = torch.cat([masked[0] * num_nodes + masked[1], masked[1] * num_nodes + masked[0]]).sort().values
        self.num_nodes = num_nodes

    def training_inputs(self, x, edge_index, nodes=None):
        """The full graph without its masked edges; on a mini-batch (``nodes``: global ids of the rows), the sampled
        edges without the masked ones, which become the step's positive pairs (``targets["masked"]``, batch rows)."""
        if nodes is None:
            return TrainingInputs(x, self.kept_edge_index)
        hidden = torch.isin(nodes[edge_index[0]] * self.num_nodes + nodes[edge_index[1]], self.masked_keys)
        masked = torch.unique(edge_index[:, hidden].t().sort(dim=1).values, dim=0)
        return TrainingInputs(x, edge_index[:, ~hidden], {"masked": masked, "nodes": nodes})

    def sample_non_edges(self, count: int, generator: torch.Generator, nodes: torch.Tensor | None = None) -> torch.Tensor:
        """Up to ``count`` (u, v) pairs with ``u != v`` that are not edges of the full graph; with ``nodes`` (a
        mini-batch's global ids), pairs of its rows."""
        size = self.num_nodes if nodes is None else len(nodes)
        candidates = torch.randint(size, (4 * count, 2), generator=generator, device=generator.device).to(self.edge_keys.device)
        ids = candidates if nodes is None else nodes[candidates]
        valid = (ids[:, 0] != ids[:, 1]) & ~torch.isin(ids[:, 0] * self.num_nodes + ids[:, 1], self.edge_keys)
        return candidates[valid][:count]

    def loss(self, h, generator, nodes=None, inputs=None):
        masked = self.masked if nodes is None else inputs.targets["masked"]
        negatives = self.sample_non_edges(len(masked), generator, nodes)
        pairs = torch.cat([masked, negatives])
        if len(pairs) == 0:  # a mini-batch without masked edges among its sampled ones
            zero = h.sum() * 0.0
            return zero, {"edge_mask": zero.detach()}
        targets = torch.cat([torch.ones(len(masked)), torch.zeros(len(negatives))]).long().to(h.device)
        loss = nn.functional.cross_entropy(self.head(pair_difference(h, pairs)), targets)
        return loss, {"edge_mask": loss.detach()}
