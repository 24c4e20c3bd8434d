"""LightGCN trained with BPR: the graph collaborative-filtering model SGL and SimGCL extend.

He et al. 2020 (LightGCN): ``e^{(l+1)} = Â e^{(l)}``, final ``e = Σ_{l=0..L} e^{(l)} / (L+1)``, score
``ŷ_ui = e_u · e_i``; BPR loss ``-mean log σ(ŷ_ui - ŷ_uj)`` with a uniform negative ``j`` plus
``λ ‖e^{(0)}_{u,i,j}‖² / B``. The model is ``torch_geometric.nn.models.LightGCN`` (its ``LGConv``
layers and ``recommendation_loss``) on the pre-normalised CSR graph of :mod:`multissl_recsys.adjacency`, its
``LGConv`` layers swapped for ``SymmetricLGConv`` (same product, a cheaper backward).
Optimiser as in the paper: Adam, lr 1e-3, no weight decay besides the BPR L2 term.
Initialisation (``embedding_init``): ``per_table`` (default) Xavier-uniform initialises the user rows and the item
rows as two tables, bound ``sqrt(6 / (U + D))`` and ``sqrt(6 / (I + D))``, as SSLRec and SGL-Torch do;
``joint`` keeps PyG's one (U + I) × D table, whose smaller bound shrinks the side with fewer rows
(users of ml-latest-small start 4x smaller).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch
from torch_geometric.nn.models import LightGCN as PygLightGCN

from multissl.errors import RecipeError
from multissl.methods.base import Method
from multissl_recsys.adjacency import SymmetricLGConv, normalized_adjacency
from multissl_recsys.modality import mark_unknown
from multissl_recsys.negatives import interaction_keys, sample_negatives


@dataclasses.dataclass
class LightGCNConfig:
    """Options of ``lightgcn`` (recipe ``method`` block)."""

    embedding_dim: int = 64
    n_layers: int = 3
    reg_weight: float = 1e-4
    """λ of the L2 term on the layer-0 embeddings of the batch's users, positives and negatives."""
    embedding_init: Literal["per_table", "joint"] = "per_table"
    """Xavier-uniform over the user and item tables separately (references) or over one joint table (PyG)."""


class LightGCN(Method):
    """LightGCN + BPR; ``embed`` gives ``[e_u, e_i]`` of each interaction row (their dot product is the score)."""

    Config = LightGCNConfig
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 1e-3, "weight_decay": 0.0, "schedule": "constant", "warmup_fraction": 0.0}

    def __init__(self, config: LightGCNConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.n_users, self.n_items = int(input_spec["n_users"]), int(input_spec["n_items"])
        self.model = PygLightGCN(self.n_users + self.n_items, config.embedding_dim, config.n_layers, normalize=False)
        self.model.convs = torch.nn.ModuleList(SymmetricLGConv() for _ in range(config.n_layers))
        if config.embedding_init not in ("per_table", "joint"):
            raise RecipeError(f"{type(self).__name__.lower()} embedding_init must be 'per_table' or 'joint', got {config.embedding_init!r}.")
        if config.embedding_init == "per_table":
            with torch.no_grad():
                torch.nn.init.xavier_uniform_(self.model.embedding.weight[: self.n_users])
                torch.nn.init.xavier_uniform_(self.model.embedding.weight[self.n_users:])
        self.ssl_weight = 0.0
        self._graphs: dict[Any, Any] = {}
        self._eval_cache: tuple[Any, tuple[torch.Tensor, torch.Tensor]] | None = None

    # -- the graph -------------------------------------------------------------------------------
    def graph_key(self, batch: dict[str, torch.Tensor]) -> tuple:
        users = batch["graph_user"]
        return (users.data_ptr(), users.numel(), str(users.device))

    def graph(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``Â`` of the training graph carried by the batch and its sorted interaction keys, built once."""
        key = self.graph_key(batch)
        if key not in self._graphs:
            users, items = batch["graph_user"], batch["graph_item"]
            adjacency = normalized_adjacency(users, items, self.n_users, self.n_items)
            self._graphs = {key: (adjacency, interaction_keys(users, items, self.n_items))}
        return self._graphs[key]

    def propagate(self, adjacency: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Final (U, D) user and (I, D) item embeddings: the layer mean of LightGCN."""
        out = self.model.get_embedding(adjacency)
        return out[: self.n_users], out[self.n_users:]

    def user_item_embeddings(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(U, D), (I, D) embeddings scored by dot product; cached in eval mode until the weights change."""
        if self.training:
            return self.propagate(self.graph(batch)[0])
        key = (self.graph_key(batch), self.model.embedding.weight._version, self.model.embedding.weight.data_ptr())
        if self._eval_cache is None or self._eval_cache[0] != key:
            with torch.no_grad():
                self._eval_cache = (key, self.propagate(self.graph(batch)[0]))
        return self._eval_cache[1]

    # -- losses ----------------------------------------------------------------------------------
    def supervised_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        adjacency, keys = self.graph(batch)
        users, positives = batch["user"], batch["item"]
        negatives = sample_negatives(users, keys, self.n_items, self.generator(users.device))
        user_emb, item_emb = self.propagate(adjacency)
        u = user_emb[users]
        positive_score = (u * item_emb[positives]).sum(-1)
        negative_score = (u * item_emb[negatives]).sum(-1)
        nodes = torch.cat([users, positives + self.n_users, negatives + self.n_users])
        loss = self.model.recommendation_loss(positive_score, negative_score, nodes, lambda_reg=self.config.reg_weight)
        return loss, {"bpr": loss.detach()}

    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """LightGCN has no self-supervised term (``ssl_weight`` is 0)."""
        return batch["user"].new_zeros((), dtype=torch.float32), {}

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        user_emb, item_emb = self.user_item_embeddings(batch)
        return mark_unknown(batch, torch.cat([user_emb[batch["user"]], item_emb[batch["item"]]], dim=1))

    @classmethod
    def without_ssl(cls, options: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
        """The method, options and name of the baseline without SSL: none, LightGCN has no SSL term."""
        return None
