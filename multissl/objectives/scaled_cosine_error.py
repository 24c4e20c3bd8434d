"""GraphMAE's scaled cosine error on masked entries."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.distributed import all_reduce_sum, global_mean
from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives.masked_reconstruction import expand_leading_mask


class ScaledCosineError(nn.Module):
    """Scaled cosine error (Hou et al. 2022, GraphMAE, eq. 5): ``L = mean_{i∈M} (1 − cos(x_i, z_i))^γ``, ``γ ≥ 1``,
    over the masked rows ``M`` of the global batch; a row is the last dimension of ``prediction`` and ``target``.

    ``mask`` has a prefix of ``prediction``'s shape. A mask over whole rows (fewer dimensions than the data)
    selects them as GraphMAE's node mask does. A mask over single values (the data's full shape, e.g. masked
    features of a vector) compares each row on its masked values only (the others zeroed on both sides); rows
    with nothing masked are left out. The target is a constant. With nothing masked the loss is a connected 0.
    """

    def __init__(self, gamma: float = 2.0):
        super().__init__()
        if gamma < 1:
            raise RecipeError(f"ScaledCosineError gamma must be at least 1 (GraphMAE uses 1 to 3), got {gamma}.")
        self.gamma = float(gamma)

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if prediction.dim() < 2 or prediction.shape != target.shape:
            raise InvalidDataError(
                "ScaledCosineError expects prediction and target of the same shape (N, F) or (N, L, F), "
                f"got {tuple(prediction.shape)} and {tuple(target.shape)}."
            )
        target = target.detach()
        if mask.dim() == prediction.dim():
            values = expand_leading_mask(mask, prediction.shape, "ScaledCosineError")
            prediction, target = prediction * values, target * values
            rows = values.any(dim=-1)
        else:
            rows = expand_leading_mask(mask, prediction.shape[:-1], "ScaledCosineError")
        error = (1.0 - F.cosine_similarity(prediction, target, dim=-1)).pow(self.gamma)
        local_sum = torch.where(rows, error, 0.0).sum()
        dtype = torch.promote_types(local_sum.dtype, torch.float32)
        stats = torch.stack([local_sum.detach(), rows.sum(), torch.tensor(rows.numel(), device=rows.device)])
        total, count, all_rows = all_reduce_sum(stats.to(dtype))
        loss = global_mean(local_sum, total, count)
        return loss, {"loss": loss.detach(), "masked_fraction": count / all_rows.clamp_min(1)}
