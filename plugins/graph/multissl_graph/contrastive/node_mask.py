"""Node masking: a graph view that hides whole nodes' features (GraphMAE's corruption, for masked reconstruction)."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.views.base import View, ViewGenerator, check_ratio


@dataclasses.dataclass(frozen=True)
class NodeMask(ViewGenerator):
    """``round(ratio × N)`` nodes drawn uniformly without replacement get their feature rows set to ``value``
    (Hou et al. 2022, GraphMAE, with a constant in place of its learnable [MASK] token, which the ``graphmae``
    method keeps). ``mask`` is ``(N,)``, True on the hidden nodes."""

    ratio: float = 0.5
    value: float = 0.0

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "NodeMask")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n = x.shape[0]
        chosen = torch.randperm(n, generator=generator, device=x.device)[: round(self.ratio * n)]
        mask = torch.zeros(n, dtype=torch.bool, device=x.device)
        mask[chosen] = True
        return View(x.masked_fill(mask.view(n, *([1] * (x.dim() - 1))), self.value), mask)
