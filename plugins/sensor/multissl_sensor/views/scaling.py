"""Scaling: one random gain per window and channel."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator


@dataclasses.dataclass(frozen=True)
class Scaling(ViewGenerator):
    """``x'[n, t, c] = s[n, c] · x[n, t, c]``, ``s ~ N(1, std²)`` (Um et al. 2017)."""

    std: float = 0.1

    def __post_init__(self) -> None:
        if not self.std >= 0:
            raise RecipeError(f"sensor_scaling std must be non-negative, got {self.std}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        shape = (x.shape[0], 1, x.shape[2])
        gain = 1.0 + torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype) * self.std
        return View(torch.where(valid[..., None], x * gain, x), None)
