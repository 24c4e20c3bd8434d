"""The SEENet encoder: free location embeddings -> SEConv (intra-time 2-hop attention, then inter-time
propagation) -> one embedding per location and time slot, (S, N, D).

Reads the graph dict of :class:`~multissl_graph.seenet.modality.TemporalRelationsModality`. ``keep``
(a boolean mask over training triples) restricts message passing to a subset of relations (the
reference's random 80% per training epoch); paths survive when both their hops are kept.
"""

from __future__ import annotations

import torch
from torch import nn

from multissl_graph.seenet.distance import AdaptiveDistanceEncoder
from multissl_graph.seenet.inter_time import InterTimePropagation
from multissl_graph.seenet.two_hop_conv import TwoHopAttentionConv


class SEConvEncoder(nn.Module):
    """``forward(graph, keep, generator) -> (S, N, D)`` relu'd SEConv outputs."""

    def __init__(self, num_locations: int, num_slots: int, num_kinds: int, num_distance_bins: int,
                 dim: int = 64, dropout: float = 0.2, num_context: int = 5, embedding_init: str = "normal") -> None:
        """``embedding_init``: ``"normal"`` N(0, 1) (the PyTorch reference, ``nn.Embedding``'s default) or
        ``"xavier"`` Xavier-uniform (the Paddle reference, Paddle's default)."""
        super().__init__()
        self.num_slots = num_slots
        self.embedding = nn.Embedding(num_locations, dim)
        if embedding_init == "xavier":
            nn.init.xavier_uniform_(self.embedding.weight)
        self.distance = AdaptiveDistanceEncoder(num_distance_bins, dim)
        self.path_convs = nn.ModuleList(TwoHopAttentionConv(dim, dropout) for _ in range(num_kinds * num_kinds))
        self.inter_time = InterTimePropagation(dim, num_context)

    def forward(self, graph: dict[str, torch.Tensor], keep: torch.Tensor | None, generator: torch.Generator) -> torch.Tensor:
        h = self.embedding.weight
        n, s = h.shape[0], self.num_slots
        table = self.distance.table
        kept = None if keep is None else keep[graph["path_first"]] & keep[graph["path_second"]]
        intra = h.new_zeros(s * n, h.shape[1])
        for path_type, conv in enumerate(self.path_convs):
            paths = _type_slice(graph, path_type)
            if paths["path_source"].numel() == 0:
                continue
            type_kept = None if kept is None else kept[graph["path_pointer"][path_type]:graph["path_pointer"][path_type + 1]]
            intra = intra + torch.relu(conv(h, paths, type_kept, table, s))
        triples = graph["train"] if keep is None else graph["train"][keep]
        bins = graph["train_bins"] if keep is None else graph["train_bins"][keep]
        source, target, edge_bins = union_graph_edges(triples, bins, s, n)

        def context_bins(source_nodes: torch.Tensor, context_nodes: torch.Tensor) -> torch.Tensor:
            xy = graph["xy"]
            gap = xy[(source_nodes % n).unsqueeze(1)] - xy[context_nodes % n]
            return torch.bucketize(gap.norm(dim=-1), graph["boundaries"])

        return self.inter_time(intra.view(s, n, -1), source, target, edge_bins, table, context_bins, generator)


def _type_slice(graph: dict[str, torch.Tensor], path_type: int) -> dict[str, torch.Tensor]:
    """The paths, groups and pairs of one path type (contiguous slices: the arrays are sorted by type)."""
    out = {}
    for prefix in ("path", "group", "pair"):
        pointer = graph[f"{prefix}_pointer"]
        start, stop = int(pointer[path_type]), int(pointer[path_type + 1])
        for key, values in graph.items():
            if key.startswith(f"{prefix}_") and key != f"{prefix}_pointer":
                out[key] = values[start:stop]
    return out


def union_graph_edges(triples: torch.Tensor, bins: torch.Tensor, num_slots: int, num_locations: int):
    """``(source, target, bins)`` of the union graphs: a relation (u, r, v) of slot s is an edge
    ``t * N + u -> t * N + v`` of every G_t with t in {s-1, s, s+1} (distinct, cyclic)."""
    slot = triples[:, 1] % num_slots
    offsets = sorted({o % num_slots for o in (-1, 0, 1)})
    sources, targets, all_bins = [], [], []
    for offset in offsets:
        t = (slot + offset) % num_slots
        sources.append(t * num_locations + triples[:, 0])
        targets.append(t * num_locations + triples[:, 2])
        all_bins.append(bins)
    return torch.cat(sources), torch.cat(targets), torch.cat(all_bins)
