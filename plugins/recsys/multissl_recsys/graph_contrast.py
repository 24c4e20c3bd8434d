"""The node-level contrast SGL and SimGCL share, on the core InfoNCE, and their common base class.

``L_cl = InfoNCE(z'_U, z''_U) + InfoNCE(z'_I, z''_I)`` over the distinct users U and items I of the
batch, where ``z'`` and ``z''`` are the two views' final embeddings: each node's other view is its
positive, the other batch nodes of the same side are negatives (Wu et al. 2021, SGL, eq. 10, with
in-batch negatives as in the SimGCL code of Yu et al. 2022; SSLRec instead contrasts each batch row
against every user or item, a dense B × N matrix).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.objectives import InfoNCE
from multissl_recsys.lightgcn import LightGCN, LightGCNConfig


@dataclasses.dataclass
class ContrastiveLightGCNConfig(LightGCNConfig):
    """Options SGL and SimGCL share: λ of ``L_cl`` and the InfoNCE temperature τ."""

    ssl_weight: float = 0.1
    temperature: float = 0.2


class ContrastiveLightGCN(LightGCN):
    """LightGCN + BPR + ``ssl_weight`` × :func:`view_contrast`; subclasses define ``ssl_loss`` (their two views)."""

    Config = ContrastiveLightGCNConfig

    def __init__(self, config: ContrastiveLightGCNConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.ssl_weight = float(config.ssl_weight)
        self.contrast = InfoNCE(temperature=config.temperature)


def view_contrast(
    objective: InfoNCE,
    first: tuple[torch.Tensor, torch.Tensor],
    second: tuple[torch.Tensor, torch.Tensor],
    users: torch.Tensor,
    items: torch.Tensor,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """InfoNCE between two (user, item) embedding views on the batch's distinct users and items."""
    users, items = torch.unique(users), torch.unique(items)
    user_loss, user_logs = objective(first[0][users], second[0][users])
    item_loss, item_logs = objective(first[1][items], second[1][items])
    return user_loss + item_loss, {"user_infonce": user_logs["loss"], "item_infonce": item_logs["loss"], "user_accuracy": user_logs["accuracy"]}
