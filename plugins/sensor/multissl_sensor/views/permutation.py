"""Time permutation: a window cut into equal segments that are shuffled."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator


@dataclasses.dataclass(frozen=True)
class TimePermutation(ViewGenerator):
    """Cut each window into ``segments`` pieces of ``T // segments`` samples, reorder them by a random
    permutation per window; the remaining ``T mod segments`` samples stay at the end (Um et al. 2017).
    Assumes every position is valid (sensor windows carry no padding)."""

    segments: int = 4

    def __post_init__(self) -> None:
        if self.segments < 1:
            raise RecipeError(f"sensor_permutation segments must be at least 1, got {self.segments}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n, length = x.shape[:2]
        piece = length // self.segments
        order = torch.rand(n, self.segments, generator=generator, device=x.device).argsort(dim=1)
        index = (order[:, :, None] * piece + torch.arange(piece, device=x.device)).flatten(1)
        tail = torch.arange(piece * self.segments, length, device=x.device).expand(n, -1)
        index = torch.cat([index, tail], dim=1)
        return View(x.gather(1, index.view(n, length, *([1] * (x.dim() - 2))).expand_as(x)), None)
