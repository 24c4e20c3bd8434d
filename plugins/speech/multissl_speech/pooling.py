"""Mean pooling over the real frames of a padded batch."""

from __future__ import annotations

from torch import Tensor


def masked_mean(hidden: Tensor, valid: Tensor) -> Tensor:
    """``(N, T, D), (N, T) -> (N, D)``: ``Σ_t valid_t h_t / max(Σ_t valid_t, 1)``."""
    weight = valid[..., None].to(hidden.dtype)
    return (hidden * weight).sum(dim=1) / weight.sum(dim=1).clamp(min=1.0)
