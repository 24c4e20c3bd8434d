"""The node-level contrast SGL and SimGCL share, on the core InfoNCE, and their common base class.

``L_cl = InfoNCE(z'_U, z''_U) + InfoNCE(z'_I, z''_I)``, where ``z'`` and ``z''`` are the two views'
final embeddings and each node's other view is its positive (Wu et al. 2021, SGL, eq. 10). Negatives
(``negatives``):

- ``all`` (default), as SGL-Torch and SSLRec: every row of the batch (users, positive items; a node
  repeated in the batch counts each time) against every user or item of the catalogue,
  ``-log(e^{s(z'_u, z''_u)/τ} / Σ_{v ∈ all users} e^{s(z'_u, z''_v)/τ})``, ``s`` the cosine. On the core
  InfoNCE: the distinct batch nodes are anchors and keys, weighted by their count in the batch
  (``anchor_weights``), and the nodes outside the batch are its shared ``negatives``.
- ``batch``, as the SimGCL code (Yu et al. 2022): the distinct users / items of the batch, each against
  the others only; cheaper, but a much weaker signal early in training.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch

from multissl.errors import RecipeError
from multissl.objectives import InfoNCE
from multissl_recsys.lightgcn import LightGCN, LightGCNConfig


@dataclasses.dataclass
class ContrastiveLightGCNConfig(LightGCNConfig):
    """Options SGL and SimGCL share: λ of ``L_cl``, the InfoNCE temperature τ and its negatives."""

    ssl_weight: float = 0.1
    temperature: float = 0.2
    negatives: Literal["all", "batch"] = "all"
    """Contrast each batch node against every node of its side (references) or the batch's nodes only."""


class ContrastiveLightGCN(LightGCN):
    """LightGCN + BPR + ``ssl_weight`` × :func:`view_contrast`; subclasses define ``ssl_loss`` (their two views)."""

    Config = ContrastiveLightGCNConfig

    def __init__(self, config: ContrastiveLightGCNConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.ssl_weight = float(config.ssl_weight)
        self.contrast = InfoNCE(temperature=config.temperature)
        if config.negatives not in ("all", "batch"):
            raise RecipeError(f"{type(self).__name__.lower()} negatives must be 'all' or 'batch', got {config.negatives!r}.")

    @classmethod
    def without_ssl(cls, options: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
        """The baseline without SSL: LightGCN with these options' embedding size, layers, L2 and initialisation."""
        shared = {f.name for f in dataclasses.fields(LightGCNConfig)}
        return "lightgcn", {k: v for k, v in options.items() if k in shared}, "LightGCN without SSL"

    def contrast_views(
        self, first: tuple[torch.Tensor, torch.Tensor], second: tuple[torch.Tensor, torch.Tensor], batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """:func:`view_contrast` of the batch's users and positive items with this method's negatives."""
        return view_contrast(self.contrast, first, second, batch["user"], batch["item"], against_all=self.config.negatives == "all")


def view_contrast(
    objective: InfoNCE,
    first: tuple[torch.Tensor, torch.Tensor],
    second: tuple[torch.Tensor, torch.Tensor],
    users: torch.Tensor,
    items: torch.Tensor,
    against_all: bool = True,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """InfoNCE between two (user, item) embedding views: batch rows against every node, or in-batch."""
    side = _catalogue_contrast if against_all else _in_batch_contrast
    user_loss, user_logs = side(objective, first[0], second[0], users)
    item_loss, item_logs = side(objective, first[1], second[1], items)
    return user_loss + item_loss, {"user_infonce": user_logs["loss"], "item_infonce": item_logs["loss"], "user_accuracy": user_logs["accuracy"]}


def _in_batch_contrast(objective: InfoNCE, first: torch.Tensor, second: torch.Tensor, rows: torch.Tensor):
    """The distinct nodes of ``rows``, each against the others."""
    nodes = torch.unique(rows)
    return objective(first[nodes], second[nodes])


def _catalogue_contrast(objective: InfoNCE, first: torch.Tensor, second: torch.Tensor, rows: torch.Tensor):
    """Every row of ``rows`` against all nodes of ``second``: each distinct node once, weighted by its count."""
    nodes, counts = torch.unique(rows, return_counts=True)
    outside = torch.ones(second.shape[0], dtype=torch.bool, device=second.device)
    outside[nodes] = False
    return objective(first[nodes], second[nodes], negatives=second[outside], anchor_weights=counts)
