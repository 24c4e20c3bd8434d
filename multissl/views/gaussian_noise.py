"""Additive Gaussian noise on whole rows."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import InvalidDataError, RecipeError
from multissl.views.base import View, ViewGenerator, broadcastable, check_ratio


@dataclasses.dataclass(frozen=True)
class GaussianNoise(ViewGenerator):
    """``x + ε``, ``ε ~ N(0, std²)`` on every valid position of rows picked with probability ``p``
    (the jitter augmentation of Um et al. 2017 and Saeed et al. 2019). No position is singled out,
    so ``mask`` is None."""

    std: float = 0.1
    p: float = 1.0

    def __post_init__(self) -> None:
        if not self.std >= 0:
            raise RecipeError(f"GaussianNoise std must be >= 0, got {self.std}.")
        check_ratio(self.p, "p", "GaussianNoise")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        if not x.is_floating_point():
            raise InvalidDataError(f"GaussianNoise needs floating-point data, got {x.dtype}.")
        rows = torch.rand(x.shape[0], generator=generator, device=x.device) < self.p
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) * self.std
        return View(x + noise * broadcastable(valid & rows[:, None], x), None)
