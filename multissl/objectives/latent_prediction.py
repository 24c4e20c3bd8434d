"""Regression of predicted latents onto (teacher) target latents."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.distributed import all_reduce_sum, global_mean
from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives.masked_reconstruction import expand_leading_mask


class LatentPrediction(nn.Module):
    """Latent-space prediction loss of joint-embedding predictive architectures (Assran et al. 2023,
    I-JEPA; Thimonier et al. 2025, T-JEPA).

    ``L = Σ_{e∈M} ℓ(prediction_e, target_e) / |M|`` with ℓ the squared error (``"mse"``) or smooth L1
    with threshold ``beta`` (``"smooth_l1"``), over the elements M selected by ``mask`` (leading dims
    of the prediction; all elements when None) in the global batch. The target gets no gradient.
    """

    def __init__(self, loss: str = "mse", beta: float = 1.0):
        super().__init__()
        if loss not in ("mse", "smooth_l1"):
            raise RecipeError(f"LatentPrediction loss must be 'mse' or 'smooth_l1', got {loss!r}.")
        if beta < 0:
            raise RecipeError(f"LatentPrediction beta must be >= 0, got {beta}.")
        self.loss = loss
        self.beta = float(beta)

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if prediction.dim() < 1 or prediction.shape != target.shape:
            raise InvalidDataError(
                "LatentPrediction expects prediction and target of the same shape (..., D), "
                f"got {tuple(prediction.shape)} and {tuple(target.shape)}."
            )
        target = target.detach()
        if self.loss == "mse":
            error = F.mse_loss(prediction, target, reduction="none")
        else:
            error = F.smooth_l1_loss(prediction, target, reduction="none", beta=self.beta)
        if mask is None:
            selected = torch.ones_like(error, dtype=torch.bool)
        else:
            selected = expand_leading_mask(mask, prediction.shape, "LatentPrediction")
        local_sum = torch.where(selected, error, 0.0).sum()
        dtype = torch.promote_types(local_sum.dtype, torch.float32)
        total, count = all_reduce_sum(torch.stack([local_sum.detach(), selected.sum()]).to(dtype))
        loss = global_mean(local_sum, total, count)
        return loss, {"loss": loss.detach()}
