"""Jitter: additive Gaussian noise on every sample and channel."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator


class Jitter(ViewGenerator):
    """``x' = x + ε``, ``ε ~ N(0, std²)`` (Um et al. 2017, "Data augmentation of wearable sensor data")."""

    def __init__(self, std: float = 0.05):
        if not std >= 0:
            raise RecipeError(f"sensor_jitter std must be non-negative, got {std}.")
        self.std = float(std)

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * self.std
        return View(torch.where(valid[..., None], x + noise, x), None)
