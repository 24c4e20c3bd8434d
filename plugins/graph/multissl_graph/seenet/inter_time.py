"""SEConv's inter-time propagation across neighbouring slots (SEENet, KDD 2023).

``Z_t = W (H_{t-1} + H_t + H_{t+1})`` (cyclic slots), then messages on the union graph ``G_t`` of the
relations of slots t-1, t, t+1, gated by the distance embedding and with context from ``K`` sampled
predecessors ``c_1..c_K`` of the receiving location:

    m_uv = deg_in(v)^-1/2 deg_out(u)^-1/2  A [ G D(d_uv) * Z_t[u]  ||  1/K sum_k G D(d_{u c_k}) * Z_t[c_k] ]
    out_t[v] = relu( sum_u m_uv )

with ``A`` a linear layer (bias) and ``G`` projecting the shared distance embedding ``D``. The context
is drawn with replacement from the in-edges of ``v`` in ``G_t`` (the reference's
``sample_neighbors(..., replace=True)``), with the method's seeded generator.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import degree


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
        neighbours = h.roll(1, dims=0) + h + h.roll(-1, dims=0) if num_slots > 1 else 3 * h
        z = self.transform(neighbours.reshape(num_slots * n, dim))
        context = sample_predecessors(source, target, num_slots * n, self.num_context, generator)
        gates = self.distance(distance_table)
        context_message = (gates[context_bins(source, context)] * z[context]).mean(dim=1)
        out_degree = degree(source, num_slots * n, dtype=z.dtype).clamp(min=1)
        in_degree = degree(target, num_slots * n, dtype=z.dtype).clamp(min=1)
        norm = (out_degree[source] * in_degree[target]).rsqrt()
        out = self.propagate(torch.stack([source, target]), x=z, edge_gate=gates[edge_bins],
                             context_message=context_message, norm=norm)
        return torch.relu(out).view(num_slots, n, dim)

    def message(self, x_j, edge_gate, context_message, norm):
        return norm.unsqueeze(1) * self.combine(torch.cat([edge_gate * x_j, context_message], dim=1))


def sample_predecessors(source: torch.Tensor, target: torch.Tensor, num_nodes: int, k: int,
                        generator: torch.Generator) -> torch.Tensor:
    """(E, k) sources of in-edges of each edge's target, drawn uniformly with replacement (every target
    has at least the edge itself)."""
    order = torch.argsort(target, stable=True)
    in_degree = torch.bincount(target, minlength=num_nodes)
    pointer = torch.cumsum(in_degree, 0) - in_degree
    draws = torch.rand(target.shape[0], k, generator=generator, device=target.device)
    picked = pointer[target].unsqueeze(1) + (draws * in_degree[target].unsqueeze(1)).long()
    return source[order][picked]
