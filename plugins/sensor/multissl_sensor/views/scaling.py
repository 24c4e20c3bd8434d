"""Scaling: one random gain per window and channel."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator


class Scaling(ViewGenerator):
    """``x'[n, t, c] = s[n, c] · x[n, t, c]``, ``s ~ N(1, std²)`` (Um et al. 2017)."""

    def __init__(self, std: float = 0.1):
        if not std >= 0:
            raise RecipeError(f"sensor_scaling std must be non-negative, got {std}.")
        self.std = float(std)

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        shape = (x.shape[0], 1, x.shape[2])
        gain = 1.0 + torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype) * self.std
        return View(torch.where(valid[..., None], x * gain, x), None)
