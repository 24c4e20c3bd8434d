"""SEConv's inter-time propagation across neighbouring slots (SEENet, KDD 2023).

``Z_t = W (H_{t-1} + H_t + H_{t+1})`` (cyclic slots), then messages on the union graph ``G_t`` of the
relations of slots t-1, t, t+1, gated by the distance embedding and with context from ``K`` sampled
predecessors ``c_1..c_K`` of the receiving location:

    m_uv = deg_in(v)^-1/2 deg_out(u)^-1/2  A [ G D(d_uv) * Z_t[u]  ||  1/K sum_k G D(d_{u c_k}) * Z_t[c_k] ]
    out_t[v] = relu( sum_u m_uv )

with ``A`` a linear layer (bias) and ``G`` projecting the shared distance embedding ``D``. The context
is drawn with replacement from the in-edges of ``v`` in ``G_t`` (the reference's
``sample_neighbors(..., replace=True)``), with the method's seeded generator.

Computed exactly, without the (edges x K x D) tensor of the per-edge form: ``A`` is linear, so it
applies after the sum over in-edges (its bias weighted by ``sum_u norm_uv``); and every context term
``norm_uv / K * G D(b) * Z[c]`` has ``c`` the source of an in-edge ``e'`` of ``v``, so the terms are summed
per in-edge ``e'`` as ``Z[src(e')] * (Q_e' = sum_b w_e'b G D(b))`` with ``w`` (edges x bins) the summed
weights of the draws that picked ``e'`` with distance bin ``b``. Both halves then are one message per edge.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import degree, scatter


class InterTimePropagation(MessagePassing):
    """``forward(H (S, N, D), union edges, distances) -> (S, N, D)``."""

    def __init__(self, dim: int, num_context: int) -> None:
        super().__init__(aggr="sum", flow="source_to_target")
        self.num_context = num_context
        self.transform = nn.Linear(dim, dim, bias=False)  # W
        self.distance = nn.Linear(dim, dim, bias=False)  # G
        self.combine = nn.Linear(2 * dim, dim, bias=True)  # A
        for layer in (self.transform, self.distance, self.combine):
            nn.init.xavier_normal_(layer.weight)

    def forward(
        self, h: torch.Tensor, source: torch.Tensor, target: torch.Tensor, edge_bins: torch.Tensor,
        distance_table: torch.Tensor, context_bins, generator: torch.Generator,
    ) -> torch.Tensor:
        """``h`` (S, N, D); ``source``/``target`` (E,) ids of slot-location nodes ``t * N + location`` of
        the union graphs; ``edge_bins`` (E,) distance bins of d(u, v) in ``distance_table`` (bins, D);
        ``context_bins(u, c)`` gives the (E, K) bins of the distances between source and context nodes.
        ``G`` applies to the table, then rows are gathered (G D(b) == (G D)[b])."""
        num_slots, n, dim = h.shape
        size, edges, k = num_slots * n, source.shape[0], self.num_context
        neighbours = h.roll(1, dims=0) + h + h.roll(-1, dims=0) if num_slots > 1 else 3 * h
        z = self.transform(neighbours.reshape(size, dim))
        out_degree = degree(source, size, dtype=z.dtype).clamp(min=1)
        in_degree = degree(target, size, dtype=z.dtype).clamp(min=1)
        norm = (out_degree[source] * in_degree[target]).rsqrt()
        gates = self.distance(distance_table)
        edge_gate = norm.unsqueeze(1) * gates.index_select(0, edge_bins)
        # w[e', b] = sum of norm_e / K over the draws (e, k) that picked in-edge e' at distance bin b from u_e
        picked = sample_predecessor_edges(source, target, size, k, generator)
        bins = context_bins(source, source[picked])
        num_bins = distance_table.shape[0]
        weights = z.new_zeros(edges * num_bins).index_add_(
            0, (picked * num_bins + bins).reshape(-1), (norm / k).repeat_interleave(k))
        context_gate = weights.view(edges, num_bins) @ gates
        summed = self.propagate(torch.stack([source, target]), x=z, gate=torch.stack([edge_gate, context_gate], dim=1))
        bias_weight = scatter(norm, target, dim=0, dim_size=size, reduce="sum").unsqueeze(1)
        out = F.linear(summed, self.combine.weight) + bias_weight * self.combine.bias
        return torch.relu(out).view(num_slots, n, dim)

    def message(self, x_j: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        """``[gate_uv * Z[u] || Q_uv * Z[u]]`` (E, 2D), from ``gate`` (E, 2, D)."""
        return (x_j.unsqueeze(1) * gate).flatten(1)


def sample_predecessor_edges(source: torch.Tensor, target: torch.Tensor, num_nodes: int, k: int,
                             generator: torch.Generator) -> torch.Tensor:
    """(E, k) ids of in-edges of each edge's target, drawn uniformly with replacement (every target has
    at least the edge itself); their sources are the sampled predecessors."""
    order = torch.argsort(target, stable=True)
    in_degree = torch.bincount(target, minlength=num_nodes)
    pointer = torch.cumsum(in_degree, 0) - in_degree
    draws = torch.rand(target.shape[0], k, generator=generator, device=target.device)
    picked = pointer[target].unsqueeze(1) + (draws * in_degree[target].unsqueeze(1)).long()
    return order[picked]
