"""LightGCN propagation: the embedding tables and layer mean that LightGCN, SGL, SimGCL and the generic methods share.

He et al. 2020 (LightGCN): ``e^{(l+1)} = Â e^{(l)}``, final ``e = Σ_{l=0..L} e^{(l)} / (L+1)``. The model is
``torch_geometric.nn.models.LightGCN`` (its embedding table and ``alpha`` layer weights) with its ``LGConv`` layers
swapped for :class:`~multissl_recsys.adjacency.SymmetricLGConv`. Initialisation (``embedding_init``): ``per_table``
Xavier-uniform initialises the user rows and the item rows as two tables, bound ``sqrt(6 / (U + D))`` and
``sqrt(6 / (I + D))``, as SSLRec and SGL-Torch do; ``joint`` keeps PyG's one (U + I) × D table, whose smaller bound
shrinks the side with fewer rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch_geometric.nn.models import LightGCN as PygLightGCN

from multissl.errors import InvalidDataError, RecipeError
from multissl_recsys.adjacency import SymmetricLGConv


def lightgcn_model(n_users: int, n_items: int, embedding_dim: int, n_layers: int, embedding_init: str, owner: str) -> PygLightGCN:
    """PyG's LightGCN over ``n_users + n_items`` nodes with symmetric-product layers, initialised by ``embedding_init``."""
    if embedding_init not in ("per_table", "joint"):
        raise RecipeError(f"{owner} embedding_init must be 'per_table' or 'joint', got {embedding_init!r}.")
    model = PygLightGCN(n_users + n_items, embedding_dim, n_layers, normalize=False)
    model.convs = nn.ModuleList(SymmetricLGConv() for _ in range(n_layers))
    if embedding_init == "per_table":
        with torch.no_grad():
            nn.init.xavier_uniform_(model.embedding.weight[:n_users])
            nn.init.xavier_uniform_(model.embedding.weight[n_users:])
    return model


def layer_mean(model: PygLightGCN, adjacency: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
    """(U + I, D) final embeddings: the ``alpha``-weighted sum of layers 0..L, each layer propagated by ``adjacency``
    or, given one graph per layer (SGL's random walk), by its own."""
    layers = tuple(adjacency) if isinstance(adjacency, (tuple, list)) else (adjacency,) * len(model.convs)
    if len(layers) != len(model.convs):
        raise InvalidDataError(
            f"{len(layers)} graphs for {len(model.convs)} LightGCN layers: set the random-walk view's layers to the "
            "encoder's n_layers."
        )
    x = model.embedding.weight
    out = x * model.alpha[0]
    for i, (conv, graph) in enumerate(zip(model.convs, layers)):
        x = conv(x, graph)
        out = out + x * model.alpha[i + 1]
    return out


class LightGCNEncoder(nn.Module):
    """LightGCN as an encoder of user-item pairs: ``forward(adjacency)`` the (U + I, D) node embeddings,
    ``embed(pairs, adjacency)`` ``[e_u, e_i]`` of each (user, item node) pair, so ``output_dim`` is ``2 D``."""

    def __init__(self, n_users: int, n_items: int, embedding_dim: int = 64, n_layers: int = 2,
                 embedding_init: str = "per_table", **_input_spec: Any) -> None:
        super().__init__()
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.model = lightgcn_model(self.n_users, self.n_items, embedding_dim, n_layers, embedding_init, "lightgcn encoder")
        self.output_dim = 2 * embedding_dim

    def forward(self, adjacency: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        return layer_mean(self.model, adjacency)

    def embed(self, pairs: torch.Tensor, adjacency: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        """(N, 2D) ``[e_u, e_i]`` of ``pairs`` (N, 2): a user index and an item node index (``U + item``)."""
        return self(adjacency)[pairs].flatten(1)
