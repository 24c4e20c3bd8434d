"""How ``interactions`` batches meet the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE).

A sample is one training interaction: ``x`` (B, 2) holds its user and its item node (``U + item``); the context is
the training graph (:func:`graph_inputs`), which the views of :mod:`multissl_recsys.graph_views` alter; the encoder
is LightGCN (:class:`~multissl_recsys.lightgcn_encoder.LightGCNEncoder`), and a sample's embedding is
``[e_u, e_i]``, the representation the ``lightgcn`` method gives. Rows of ids the run does not know are NaN
(:func:`~multissl_recsys.modality.mark_unknown`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from multissl.methods.generic_input import GenericInput, Inputs
from multissl_recsys.modality import mark_unknown


def graph_inputs(batch: Mapping[str, Any], n_users: int, n_items: int) -> Inputs:
    """The batch's interactions as ``x`` (B, 2) = ``[user, U + item]``, its training graph as the context."""
    context = {
        "graph_user": batch["graph_user"],
        "graph_item": batch["graph_item"],
        "adjacency": batch["graph_adjacency"],
        "graph_keys": batch["graph_keys"],
        "n_users": n_users,
        "n_items": n_items,
    }
    if "known" in batch:
        context["known"] = batch["known"]
    return Inputs(torch.stack([batch["user"], batch["item"] + n_users], dim=1), None, context)


class UserItemGraphInput(GenericInput):
    """``interactions`` batches for the generic methods: interactions as samples, the user-item graph as context."""

    def __init__(self, n_users: int, n_items: int, **input_spec: Any) -> None:
        super().__init__(n_users=n_users, n_items=n_items, **input_spec)
        self.n_users, self.n_items = int(n_users), int(n_items)

    def inputs(self, batch: Mapping[str, Any]) -> Inputs:
        return graph_inputs(batch, self.n_users, self.n_items)

    def embed(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """(B, 2D) ``[e_u, e_i]`` propagated over the (possibly altered) graph of ``inputs``."""
        return mark_unknown(dict(inputs.context), encoder.embed(inputs.x, inputs.context["adjacency"]))
