"""Message-passing node encoders from torch_geometric: GCN (default), GAT, GraphSAGE.

``h^(l+1) = dropout(relu(conv_l(h^(l), A)))`` for ``num_layers`` layers of ``hidden_dim``; the last
layer has no activation nor dropout. GCN: Kipf & Welling 2017; GAT: Velickovic et al. 2018;
GraphSAGE (mean aggregator): Hamilton et al. 2017.
"""

from __future__ import annotations

import torch
from torch import nn


class GraphEncoder(nn.Module):
    """A stack of ``conv_class`` layers; ``forward(x, edge_index) -> (N, output_dim)`` node outputs."""

    def __init__(
        self, input_dim: int, hidden_dim: int = 128, num_layers: int = 2, dropout: float = 0.5, num_classes: int = 0
    ) -> None:
        """``num_classes`` comes with the graph modality's input spec; an encoder does not use it."""
        super().__init__()
        dims = [input_dim] + [hidden_dim] * num_layers
        self.convs = nn.ModuleList(self.conv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout
        self.output_dim = hidden_dim

    def conv(self, in_dim: int, out_dim: int) -> nn.Module:
        """One message-passing layer of this encoder's kind (also used for a classifier layer on top)."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for index, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if index < len(self.convs) - 1:
                x = nn.functional.dropout(torch.relu(x), self.dropout, self.training)
        return x

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.forward(x, edge_index)


class GCNEncoder(GraphEncoder):
    """``h' = D^-1/2 (A + I) D^-1/2 h W`` (Kipf & Welling 2017)."""

    def conv(self, in_dim: int, out_dim: int) -> nn.Module:
        from torch_geometric.nn import GCNConv

        return GCNConv(in_dim, out_dim)


class GATEncoder(GraphEncoder):
    """``h'_i = sum_j alpha_ij W h_j``, ``alpha`` a softmax over neighbours of ``LeakyReLU(a^T[Wh_i || Wh_j])`` (one head)."""

    def conv(self, in_dim: int, out_dim: int) -> nn.Module:
        from torch_geometric.nn import GATConv

        return GATConv(in_dim, out_dim, heads=1)


class SAGEEncoder(GraphEncoder):
    """``h'_i = W_1 h_i + W_2 mean_{j in N(i)} h_j`` (GraphSAGE-mean, Hamilton et al. 2017)."""

    def conv(self, in_dim: int, out_dim: int) -> nn.Module:
        from torch_geometric.nn import SAGEConv

        return SAGEConv(in_dim, out_dim)
