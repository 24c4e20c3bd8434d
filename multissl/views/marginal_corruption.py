"""SCARF's corruption: replace a share of each row's features with draws from their marginals."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import InvalidDataError
from multissl.views.base import View, ViewGenerator, broadcastable, check_ratio, choose_positions, rounded_count


@dataclasses.dataclass(frozen=True)
class MarginalCorruption(ViewGenerator):
    """SCARF corruption (Bahri et al. 2022): per row, ``round(ratio × n_valid)`` valid positions drawn
    uniformly are replaced, each by the same position's value in another row of the batch drawn
    uniformly among the rows where that position is valid (the batch's empirical marginal).
    A position valid in fewer than two rows cannot be corrupted. ``mask`` marks corrupted positions.
    """

    ratio: float = 0.6

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "MarginalCorruption")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n = x.shape[0]
        if n < 2:
            raise InvalidDataError(
                f"MarginalCorruption draws replacements from other rows and needs a batch of at least 2 rows, got {n}; "
                f"use drop_last=True or a larger batch."
            )
        rows_valid = valid.sum(dim=0)  # (L,) rows where each position is valid
        mask = choose_positions(valid & (rows_valid >= 2), rounded_count(self.ratio, valid.sum(dim=1)), generator)
        # Donor: the u-th valid row of the column other than this row, u ~ U{0, ..., rows_valid - 2}.
        valid_rows_first = torch.argsort(~valid, dim=0, stable=True)  # per column, valid row indices in order
        own_rank = valid.cumsum(dim=0) - 1
        draw = torch.rand(valid.shape, generator=generator, device=x.device, dtype=torch.float64)
        other = (draw * (rows_valid - 1)).long().clamp(min=0)
        other = torch.minimum(other, (rows_valid - 2).clamp(min=0))
        donor = valid_rows_first.gather(0, (other + (other >= own_rank).long()).clamp(max=n - 1))
        donor_values = x.gather(0, broadcastable(donor, x).expand_as(x))
        return View(torch.where(broadcastable(mask, x), donor_values, x), mask)
