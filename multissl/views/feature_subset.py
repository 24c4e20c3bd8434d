"""Random feature subsets: keep a random share of each row's positions, hide the rest."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator, check_ratio, choose_positions, fill


@dataclasses.dataclass(frozen=True)
class FeatureSubset(ViewGenerator):
    """Per row, draw ``r ~ U[low, high]`` and keep ``max(⌈r × n_valid⌉, 1)`` valid positions chosen
    uniformly; the other valid positions are set to ``value`` and marked in ``mask`` (the feature
    subsetting of SubTab, Ucar et al. 2021, drawn per row with a random size)."""

    low: float = 0.5
    high: float = 1.0
    value: float = 0.0

    def __post_init__(self) -> None:
        check_ratio(self.low, "low", "FeatureSubset")
        check_ratio(self.high, "high", "FeatureSubset")
        if self.low > self.high:
            raise RecipeError(f"FeatureSubset needs low <= high, got low={self.low}, high={self.high}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n_valid = valid.sum(dim=1)
        share = self.low + (self.high - self.low) * torch.rand(
            x.shape[0], generator=generator, device=x.device, dtype=torch.float64
        )
        kept = choose_positions(valid, torch.ceil(share * n_valid).long().clamp(min=1), generator)
        mask = valid & ~kept
        return View(fill(x, mask, self.value, "FeatureSubset"), mask)
