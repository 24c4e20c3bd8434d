"""The GCN encoder of the graph SSL papers: layers of given widths, each followed by an optional BatchNorm and an
activation.

``h^(l+1) = act(BN(Â h^(l) W_l))``, ``Â = D^-1/2 (A + I) D^-1/2`` (Kipf & Welling 2017, PyG ``GCNConv``). DGI: one
layer of 512, PReLU; GRACE (Cora): 256 then 128, ReLU after both; BGRL and GBT: BatchNorm and PReLU after every
layer; CCA-SSG: 512, 512, ReLU between layers and none after the last (``final_activation: false``). The plugin's
``gcn`` encoder has one width for all layers and never activates its output, so it cannot express these.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from multissl.errors import RecipeError


def activation_layer(name: str, width: int) -> nn.Module:
    """``relu``, ``elu``, ``prelu`` (one learnable slope per channel) or ``prelu_shared`` (one slope for the layer:
    ``nn.PReLU()``, as the DGI, BGRL and GraphMAE reference code)."""
    if name in ("prelu", "prelu_shared"):
        return nn.PReLU(width if name == "prelu" else 1)
    if name in ("relu", "elu"):
        return nn.ReLU() if name == "relu" else nn.ELU()
    raise RecipeError(f"activation must be 'relu', 'elu', 'prelu' or 'prelu_shared', got {name!r}.")


class GCNStack(nn.Module):
    """``forward(x, edge_index) -> (N, hidden_dims[-1])``; ``dropout`` applies to each layer's input but the first.
    ``x`` may be a sparse COO tensor (its first layer's product then reads the non-zeros only)."""

    sparse_features = True

    def __init__(
        self,
        input_dim: int,
        hidden_dims: list[int] = (512,),
        activation: Literal["relu", "elu", "prelu", "prelu_shared"] = "prelu",
        batch_norm: bool = False,
        batch_norm_momentum: float = 0.1,
        final_activation: bool = True,
        dropout: float = 0.0,
        num_classes: int = 0,
    ) -> None:
        """``batch_norm_momentum`` is PyTorch's: ``running ← (1 − m)·running + m·batch`` (0.1 by default; BGRL's 0.99
        evaluates with about the last training view's statistics). ``num_classes`` comes with the graph modality's
        input spec; an encoder does not use it."""
        from torch_geometric.nn import GCNConv

        super().__init__()
        if not hidden_dims or any(int(width) < 1 for width in hidden_dims):
            raise RecipeError(f"gcn_stack hidden_dims must be a non-empty list of positive widths, got {hidden_dims!r}.")
        if not 0.0 < batch_norm_momentum <= 1.0:
            raise RecipeError(
                f"gcn_stack batch_norm_momentum must lie in (0, 1] (the weight of each new batch; PyTorch uses 0.1), "
                f"got {batch_norm_momentum!r}."
            )
        dims = [input_dim, *map(int, hidden_dims)]
        last = len(dims) - 2
        self.convs = nn.ModuleList(GCNConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(b, momentum=batch_norm_momentum) if batch_norm and (i < last or final_activation) else nn.Identity()
            for i, b in enumerate(dims[1:])
        )
        self.activations = nn.ModuleList(
            activation_layer(activation, b) if i < last or final_activation else nn.Identity() for i, b in enumerate(dims[1:])
        )
        self.dropout = dropout
        self.output_dim = dims[-1]

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        for index, (conv, norm, activation) in enumerate(zip(self.convs, self.norms, self.activations)):
            if index > 0:
                x = nn.functional.dropout(x, self.dropout, self.training)
            x = activation(norm(conv(x, edge_index)))
        return x

    def embed(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        return self.forward(x, edge_index)
