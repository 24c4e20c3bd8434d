"""How ``interactions`` batches meet the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE).

A sample is one training interaction: ``x`` (B, 2) holds its user and its item node (``U + item``); the context is
the training graph (:func:`graph_inputs`), which the views of :mod:`multissl_recsys.graph_views` alter; the encoder
is LightGCN (:class:`~multissl_recsys.lightgcn_encoder.LightGCNEncoder`), and a sample's embedding is
``[e_u, e_i]``, the representation the ``lightgcn`` method gives. Rows of ids the run does not know are NaN
(:func:`~multissl_recsys.modality.mark_unknown`).

Masked reconstruction is masked-edge reconstruction (MaskGAE, Li et al. 2023): after
:class:`~multissl_recsys.graph_views.InteractionEdgeMask` hid interactions from the graph, the head scores each
hidden interaction ``(u, i)`` and a sampled non-interaction ``(u, j)`` from ``[e_u, e_i]`` and ``[e_u, e_j]``,
``L = -mean_{hidden} [log σ(s(u, i)) + log(1 − σ(s(u, j)))]`` (the method's ``loss`` option does not apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from multissl.errors import InvalidDataError
from multissl.methods.generic_input import GenericInput, Inputs, InputsAltered
from multissl_recsys.adjacency import batch_adjacency
from multissl_recsys.modality import mark_unknown


def graph_inputs(batch: Mapping[str, Any], n_users: int, n_items: int) -> Inputs:
    """The batch's interactions as ``x`` (B, 2) = ``[user, U + item]``, its training graph as the context."""
    context = {
        "graph_user": batch["graph_user"],
        "graph_item": batch["graph_item"],
        "adjacency": batch_adjacency(batch),
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

    def encode(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """(2, N, 2D): ``[e_u, e_i]`` of each sample and ``[e_u, e_j]`` of its sampled non-interaction ``j``
        (``negative_items``, set by the edge-masking view)."""
        if "negative_items" not in inputs.context:
            raise InvalidDataError("Masked reconstruction on interactions needs the view interaction_edge_mask (it draws the non-interactions).")
        nodes = encoder(inputs.context["adjacency"])
        negatives = torch.stack([inputs.x[:, 0], inputs.context["negative_items"]], dim=1)
        return torch.stack([nodes[inputs.x].flatten(1), nodes[negatives].flatten(1)])

    def reconstruction_dim(self) -> int:
        """One logit per (user, item) pair."""
        return 1

    def reconstruction_loss(
        self, encoded: Tensor, head: nn.Module, original: Inputs, altered: InputsAltered, error: nn.Module
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Binary cross-entropy of the hidden interactions (label 1) and their sampled non-interactions (label 0)."""
        logits = head(encoded).squeeze(-1)[:, altered.mask]
        if logits.numel() == 0:  # no sample of this batch was hidden: nothing to score
            return encoded.sum() * 0.0, {}
        labels = torch.cat([torch.ones_like(logits[0]), torch.zeros_like(logits[1])])
        loss = F.binary_cross_entropy_with_logits(logits.flatten(), labels)
        accuracy = (logits[0] > logits[1]).float().mean()  # hidden interaction scored above its non-interaction
        return loss, {"loss": loss.detach(), "pair_accuracy": accuracy.detach()}
