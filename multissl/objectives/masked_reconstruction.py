"""Reconstruction error on masked positions only."""

from __future__ import annotations

import torch
from torch import nn

from multissl.distributed import all_reduce_sum, global_mean
from multissl.errors import InvalidDataError, RecipeError


class MaskedReconstruction(nn.Module):
    """L1 or L2 reconstruction of masked inputs (Liu, Li and Lee 2021, TERA).

    ``L = Σ_{e∈M} |prediction_e - target_e|^p / |M|`` (p = 1 or 2) over the selected elements M of
    the global batch; ``mask`` of shape ``prediction.shape[:k]`` selects whole frames or single
    elements. The target is a constant. With nothing masked anywhere the loss is a graph-connected 0.
    """

    def __init__(self, loss: str = "l1"):
        super().__init__()
        if loss not in ("l1", "l2"):
            raise RecipeError(f"MaskedReconstruction loss must be 'l1' or 'l2', got {loss!r}.")
        self.loss = loss

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if prediction.dim() < 2 or prediction.shape != target.shape:
            raise InvalidDataError(
                "MaskedReconstruction expects prediction and target of the same shape (N, F) or (N, T, F), "
                f"got {tuple(prediction.shape)} and {tuple(target.shape)}."
            )
        selected = expand_leading_mask(mask, prediction.shape, "MaskedReconstruction")
        error = prediction - target.detach()
        error = error.abs() if self.loss == "l1" else error.pow(2)
        local_sum = torch.where(selected, error, 0.0).sum()
        dtype = torch.promote_types(local_sum.dtype, torch.float32)
        elements = torch.tensor(selected.numel(), device=selected.device)
        stats = torch.stack([local_sum.detach(), selected.sum(), elements])
        total, count, elements = all_reduce_sum(stats.to(dtype))
        loss = global_mean(local_sum, total, count)
        return loss, {"loss": loss.detach(), "masked_fraction": count / elements.clamp_min(1)}


def expand_leading_mask(mask: torch.Tensor, shape: torch.Size, who: str) -> torch.Tensor:
    """A boolean ``mask`` over the leading dims of ``shape``, broadcast to the whole ``shape``."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise InvalidDataError(f"{who} expects a boolean mask tensor, got {getattr(mask, 'dtype', type(mask))}.")
    if mask.dim() < 1 or tuple(mask.shape) != tuple(shape[: mask.dim()]):
        raise InvalidDataError(
            f"{who} expects a mask whose shape is the leading dims of {tuple(shape)} "
            f"(e.g. {tuple(shape[:2])} for whole positions or {tuple(shape)} for single elements), "
            f"got {tuple(mask.shape)}."
        )
    return mask.reshape(*mask.shape, *[1] * (len(shape) - mask.dim())).expand(shape)
