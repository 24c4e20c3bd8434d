"""Cross-entropy against discrete cluster codes on masked frames."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.distributed import all_reduce_sum, global_mean
from multissl.errors import InvalidDataError, RecipeError


class MaskedClusterPrediction(nn.Module):
    """Masked prediction of cluster codes (Hsu et al. 2021, HuBERT).

    With per-frame cross-entropy ``CE_t = -log softmax(logits_t)[codes_t]``, masked valid frames M and
    unmasked valid frames U of the global batch: ``L = Σ_M CE / |M| + unmasked_weight · Σ_U CE / |U|``.
    Each term is 0 (still in the graph) when its set is empty.
    """

    def __init__(self, unmasked_weight: float = 0.0):
        super().__init__()
        if unmasked_weight < 0:
            raise RecipeError(f"MaskedClusterPrediction unmasked_weight must be >= 0, got {unmasked_weight}.")
        self.unmasked_weight = float(unmasked_weight)

    def forward(
        self,
        logits: torch.Tensor,
        codes: torch.Tensor,
        mask: torch.Tensor,
        valid: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if valid is None:
            valid = torch.ones_like(mask, dtype=torch.bool)
        self._check(logits, codes, mask, valid)
        masked = mask & valid
        unmasked = ~mask & valid if self.unmasked_weight > 0 else torch.zeros_like(mask)
        used = masked | unmasked
        n_classes = logits.shape[-1]
        codes = codes.long()
        in_range = (codes >= 0) & (codes < n_classes)
        safe_codes = torch.where(used & in_range, codes, 0)
        cross_entropy = F.cross_entropy(logits.flatten(0, 1), safe_codes.flatten(), reduction="none").view_as(codes)
        masked_sum = torch.where(masked, cross_entropy, 0.0).sum()
        unmasked_sum = torch.where(unmasked, cross_entropy, 0.0).sum()
        with torch.no_grad():
            correct = (masked & (logits.argmax(-1) == safe_codes)).sum()
            dtype = torch.promote_types(masked_sum.dtype, torch.float32)
            out_of_range = (used & ~in_range).sum()
            stats = torch.stack([masked_sum, masked.sum(), unmasked_sum, unmasked.sum(), correct, out_of_range])
        totals = all_reduce_sum(stats.to(dtype))  # one collective; checked after it so that every process raises
        total_masked, n_masked, total_unmasked, n_unmasked, total_correct, total_out_of_range = totals
        if total_out_of_range > 0:
            raise InvalidDataError(
                f"MaskedClusterPrediction got {int(total_out_of_range)} scored frames with codes outside "
                f"[0, {n_classes}) (here e.g. {codes[used & ~in_range][:5].tolist()}); the logits have K={n_classes}."
            )
        masked_loss = global_mean(masked_sum, total_masked, n_masked)
        unmasked_loss = global_mean(unmasked_sum, total_unmasked, n_unmasked)
        loss = masked_loss + self.unmasked_weight * unmasked_loss
        logs = {
            "loss": loss.detach(),
            "masked_loss": masked_loss.detach(),
            "masked_accuracy": total_correct / n_masked.clamp_min(1),
        }
        if self.unmasked_weight > 0:
            logs["unmasked_loss"] = unmasked_loss.detach()
        return loss, logs

    @staticmethod
    def _check(logits, codes, mask, valid) -> None:
        if logits.dim() != 3:
            raise InvalidDataError(
                f"MaskedClusterPrediction expects logits of shape (N, T, K), got {tuple(logits.shape)}."
            )
        expected = tuple(logits.shape[:2])
        for name, tensor in (("codes", codes), ("mask", mask), ("valid", valid)):
            if tuple(tensor.shape) != expected:
                raise InvalidDataError(
                    f"MaskedClusterPrediction expects {name} of shape (N, T)={expected} like the logits, "
                    f"got {tuple(tensor.shape)}."
                )
        if codes.dtype.is_floating_point or codes.dtype.is_complex or codes.dtype == torch.bool:
            raise InvalidDataError(f"MaskedClusterPrediction expects integer codes, got {codes.dtype}.")
        if mask.dtype != torch.bool or valid.dtype != torch.bool:
            raise InvalidDataError(
                f"MaskedClusterPrediction expects boolean mask and valid, got {mask.dtype} and {valid.dtype}."
            )
