"""Feature masking: a graph view that zeroes the same feature columns on every node (GRACE, BGRL, GBT, CCA-SSG)."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.views.base import View, ViewGenerator, check_ratio


@dataclasses.dataclass(frozen=True)
class FeatureMask(ViewGenerator):
    """``x̃ = x ⊙ (1 − m)`` with ``m_f ~ Bernoulli(p)`` drawn once per feature column and shared by all nodes (Zhu
    et al. 2020, GRACE, "masking node features"). ``mask`` marks the zeroed columns on every node ``(N, F)``."""

    p: float = 0.3

    def __post_init__(self) -> None:
        check_ratio(self.p, "p", "FeatureMask")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        columns = torch.rand(x.shape[1], generator=generator, device=x.device) < self.p
        mask = columns.expand(x.shape[0], -1) & valid
        return View(x.masked_fill(mask.view(*mask.shape, *([1] * (x.dim() - 2))), 0.0), mask)
