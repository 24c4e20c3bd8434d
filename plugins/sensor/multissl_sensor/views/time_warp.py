"""Time warping: each window replayed at a smoothly varying speed."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator


@dataclasses.dataclass(frozen=True)
class TimeWarp(ViewGenerator):
    """``x'(t) = x(τ(t))`` with ``τ`` the normalised cumulative sum of a random speed curve through ``knots``
    values ``~ N(1, std²)`` (clamped positive), so ``τ(0) = 0``, ``τ(T−1) = T−1`` (Um et al. 2017). Written
    here rather than with scipy's CubicSpline as in the paper, so that it runs vectorised on the batch's
    device: the speed is interpolated linearly between knots (τ piecewise quadratic, C¹) and ``x`` linearly
    between samples. Assumes every position is valid (sensor windows carry no padding)."""

    std: float = 0.2
    knots: int = 4

    def __post_init__(self) -> None:
        if not self.std >= 0:
            raise RecipeError(f"sensor_time_warp std must be non-negative, got {self.std}.")
        if self.knots < 1:
            raise RecipeError(f"sensor_time_warp knots must be at least 1, got {self.knots}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n, length = x.shape[:2]
        if length < 2:
            return View(x.clone(), None)
        knots = 1.0 + self.std * torch.randn(n, 1, self.knots + 2, generator=generator, device=x.device, dtype=x.dtype)
        speed = F.interpolate(knots.clamp_min(0.1), size=length - 1, mode="linear", align_corners=True)[:, 0]
        warped = torch.cat([speed.new_zeros(n, 1), speed.cumsum(1)], dim=1)
        warped = warped / warped[:, -1:] * (length - 1)  # (N, T) positions in [0, T−1]
        left = warped.floor().long().clamp(0, length - 2)
        shape = (n, length, *([1] * (x.dim() - 2)))
        frac = (warped - left).view(shape)
        before = x.gather(1, left.view(shape).expand_as(x))
        after = x.gather(1, (left + 1).view(shape).expand_as(x))
        return View(before + frac * (after - before), None)
