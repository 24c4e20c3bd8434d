"""BYOL's regression loss: the online prediction of one view against the target projection of the other."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.errors import InvalidDataError


class BYOLLoss(nn.Module):
    """Normalised mean squared error of Grill et al. 2020 (BYOL, eq. 2):
    ``L = mean_i ‖p̄_i − z̄_i‖² = mean_i (2 − 2·cos(p_i, z_i))`` with ``p`` the online prediction and ``z`` the
    target projection, which is a constant (no gradient reaches it). BYOL sums this over both view orders.

    Each sample's term needs only its own pair, so the local mean is the global one once DDP averages gradients
    over equal batches: nothing is gathered.
    """

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if prediction.dim() != 2 or prediction.shape != target.shape:
            raise InvalidDataError(
                f"BYOLLoss expects a prediction and a target of the same shape (N, D), got {tuple(prediction.shape)} "
                f"and {tuple(target.shape)}."
            )
        cosine = F.cosine_similarity(prediction, target.detach(), dim=1)
        loss = (2.0 - 2.0 * cosine).mean()
        return loss, {"loss": loss.detach(), "cosine": cosine.detach().mean()}
