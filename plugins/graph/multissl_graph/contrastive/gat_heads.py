"""GraphMAE's GAT: multi-head attention layers with feature and attention dropout and PReLU.

``h_i^(l+1) = act(||_k Σ_j α^k_ij W^k h_j^(l))``, ``α^k_ij = softmax_j LeakyReLU(a_k^T [W^k h_i || W^k h_j])`` (Velickovic
et al. 2018, PyG ``GATConv``), heads concatenated, dropout ``feat_drop`` on each layer's input and ``attn_drop`` on the
attention weights. GraphMAE (Hou et al. 2022) on Cora: 2 layers, 4 heads of 128 (512 wide), PReLU (one slope per
layer) after every layer, feat_drop 0.2, attn_drop 0.1; its decoder is one single-head layer to the input width,
without activation. ``init: xavier_normal`` draws ``W`` and the attention vectors ``a`` from Xavier's normal with
gain 1.414, as the reference's GATConv; ``glorot`` keeps PyG's (uniform, gain 1, about 1.4 times narrower).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from multissl.errors import RecipeError
from multissl_graph.contrastive.gcn_stack import activation_layer


class MultiHeadGAT(nn.Module):
    """``forward(x, edge_index) -> (N, hidden_dim)``, ``hidden_dim = heads × width per head``; ``x`` may be a sparse
    COO tensor (feature dropout then drops its stored values)."""

    sparse_features = True

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int = 512,
        heads: int = 4,
        num_layers: int = 2,
        feat_drop: float = 0.2,
        attn_drop: float = 0.1,
        negative_slope: float = 0.2,
        activation: str = "prelu_shared",
        final_activation: bool = True,
        init: Literal["xavier_normal", "glorot"] = "xavier_normal",
        num_classes: int = 0,
    ) -> None:
        """``num_classes`` comes with the graph modality's input spec; an encoder does not use it."""
        from torch_geometric.nn import GATConv

        super().__init__()
        if init not in ("xavier_normal", "glorot"):
            raise RecipeError(f"gat_heads init must be 'xavier_normal' or 'glorot', got {init!r}.")
        if heads < 1 or num_layers < 1 or hidden_dim % heads:
            raise RecipeError(
                f"gat_heads needs heads >= 1, num_layers >= 1 and hidden_dim divisible by heads; got hidden_dim "
                f"{hidden_dim}, heads {heads}, num_layers {num_layers}."
            )
        dims = [input_dim] + [hidden_dim] * num_layers
        self.convs = nn.ModuleList(
            GATConv(a, b // heads, heads=heads, dropout=attn_drop, negative_slope=negative_slope) for a, b in zip(dims[:-1], dims[1:])
        )
        if init == "xavier_normal":
            for conv in self.convs:
                for weight in (conv.lin.weight, conv.att_src, conv.att_dst):
                    nn.init.xavier_normal_(weight, gain=1.414)
        self.activations = nn.ModuleList(
            activation_layer(activation, hidden_dim) if i < num_layers - 1 or final_activation else nn.Identity()
            for i in range(num_layers)
        )
        self.feat_drop = feat_drop
        self.output_dim = hidden_dim

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for conv, activation in zip(self.convs, self.activations):
            x = activation(conv(self.feature_dropout(x), edge_index))
        return x

    def feature_dropout(self, x: torch.Tensor) -> torch.Tensor:
        """Dropout ``feat_drop`` on a layer's input, on the stored values of a sparse one."""
        if not x.is_sparse:
            return nn.functional.dropout(x, self.feat_drop, self.training)
        x = x.coalesce()
        values = nn.functional.dropout(x.values(), self.feat_drop, self.training)
        return torch.sparse_coo_tensor(x.indices(), values, x.shape, is_coalesced=True, check_invariants=False)

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.forward(x, edge_index)
