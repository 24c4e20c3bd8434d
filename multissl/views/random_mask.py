"""Random masking: hide a fixed share of each row's positions."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.views.base import View, ViewGenerator, check_ratio, choose_positions, fill, rounded_count


@dataclasses.dataclass(frozen=True)
class RandomMask(ViewGenerator):
    """Per row, exactly ``round(ratio × n_valid)`` positions drawn uniformly among the valid ones are set
    to ``value`` (the whole trailing slice for sequences): BERT-style masking (Devlin et al. 2019)
    without its 80/10/10 replacement split. ``mask`` marks them."""

    ratio: float = 0.15
    value: float = 0.0

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "RandomMask")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        mask = choose_positions(valid, rounded_count(self.ratio, valid.sum(dim=1)), generator)
        return View(fill(x, mask, self.value, "RandomMask"), mask)
