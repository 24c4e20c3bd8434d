"""LightGCN trained with BPR: the graph collaborative-filtering model SGL and SimGCL extend.

He et al. 2020 (LightGCN): ``e^{(l+1)} = Â e^{(l)}``, final ``e = Σ_{l=0..L} e^{(l)} / (L+1)``, score
``ŷ_ui = e_u · e_i``; BPR loss ``-mean log σ(ŷ_ui - ŷ_uj)`` with a uniform negative ``j`` plus
``λ ‖e^{(0)}_{u,i,j}‖² / B``. The model and its initialisation (``embedding_init``) are
:mod:`multissl_recsys.lightgcn_encoder`; the loss is PyG's ``recommendation_loss``.
Optimiser as in the paper: Adam, lr 1e-3, no weight decay besides the BPR L2 term.

The graph is the data's: every batch carries ``Â`` (its CSR parts) and the sorted interaction keys, computed once by the
``interactions`` modality (:func:`~multissl_recsys.adjacency.graph_context`); the method keeps no graph of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import torch

from multissl.methods.base import Method
from multissl_recsys.adjacency import batch_adjacency
from multissl_recsys.lightgcn_encoder import layer_mean, lightgcn_model
from multissl_recsys.modality import mark_unknown
from multissl_recsys.negatives import sample_negatives


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
        self.model = lightgcn_model(
            self.n_users, self.n_items, config.embedding_dim, config.n_layers, config.embedding_init, type(self).__name__.lower()
        )
        self.ssl_weight = 0.0

    # -- the graph -------------------------------------------------------------------------------
    def propagate(self, adjacency: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Final (U, D) user and (I, D) item embeddings: the layer mean of LightGCN."""
        out = layer_mean(self.model, adjacency)
        return out[: self.n_users], out[self.n_users:]

    def user_item_embeddings(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(U, D), (I, D) embeddings of the batch's training graph, scored by dot product."""
        return self.propagate(batch_adjacency(batch))

    # -- losses ----------------------------------------------------------------------------------
    def supervised_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        users, positives = batch["user"], batch["item"]
        negatives = sample_negatives(users, batch["graph_keys"], self.n_items, self.generator(users.device))
        user_emb, item_emb = self.user_item_embeddings(batch)
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
