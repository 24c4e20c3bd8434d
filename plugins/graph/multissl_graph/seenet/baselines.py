"""Baseline encoders for the SEENet comparison, with the same ``forward(graph, keep, generator) -> (S, N, D)``:
one embedding per location shared by every slot (the relation vectors of DistMult carry the slot).

- :class:`FreeEmbeddingEncoder`: DistMult on free embeddings (Yang et al. 2015).
- :class:`RGCNEncoder`: R-GCN (Schlichtkrull et al. 2018), two ``torch_geometric.nn.RGCNConv`` layers over
  the typed training relations (8 types on Tokyo), ``h = W2 relu(W1 e)`` with per-relation weights and a
  root weight, dropout between layers.
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import RGCNConv


class FreeEmbeddingEncoder(nn.Module):
    """A free embedding per location, the same in every slot."""

    def __init__(self, num_locations: int, num_slots: int, dim: int = 64, **_: object) -> None:
        super().__init__()
        self.num_slots = num_slots
        self.embedding = nn.Embedding(num_locations, dim)
        nn.init.xavier_uniform_(self.embedding.weight)

    def forward(self, graph, keep, generator) -> torch.Tensor:
        return self.embedding.weight.unsqueeze(0).expand(self.num_slots, -1, -1)


class RGCNEncoder(nn.Module):
    """Two R-GCN layers on the training relations (kept ones while training), the same in every slot."""

    def __init__(self, num_locations: int, num_slots: int, num_relations: int, dim: int = 64, dropout: float = 0.2, **_: object) -> None:
        super().__init__()
        self.num_slots = num_slots
        self.embedding = nn.Embedding(num_locations, dim)
        self.first = RGCNConv(dim, dim, num_relations, aggr="mean")
        self.second = RGCNConv(dim, dim, num_relations, aggr="mean")
        self.dropout = nn.Dropout(dropout)

    def forward(self, graph, keep, generator) -> torch.Tensor:
        triples = graph["train"] if keep is None else graph["train"][keep]
        edge_index, edge_type = triples[:, [0, 2]].T, triples[:, 1]
        h = self.dropout(torch.relu(self.first(self.embedding.weight, edge_index, edge_type)))
        return self.second(h, edge_index, edge_type).unsqueeze(0).expand(self.num_slots, -1, -1)
