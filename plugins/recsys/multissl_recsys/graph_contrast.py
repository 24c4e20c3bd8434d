"""The node-level contrast SGL and SimGCL share, on the core InfoNCE.

``L_cl = InfoNCE(z'_U, z''_U) + InfoNCE(z'_I, z''_I)`` over the distinct users U and items I of the
batch, where ``z'`` and ``z''`` are the two views' final embeddings: each node's other view is its
positive, the other batch nodes of the same side are negatives (Wu et al. 2021, SGL, eq. 10, with
in-batch negatives as in the SimGCL code of Yu et al. 2022; SSLRec instead contrasts each batch row
against every user or item, a dense B × N matrix).
"""

from __future__ import annotations

import torch

from multissl.objectives import InfoNCE


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
