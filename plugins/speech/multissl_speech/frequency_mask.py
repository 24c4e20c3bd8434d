"""Frequency masking: zero one band of consecutive feature bins on every frame (TERA's frequency alteration,
Liu, Li and Lee 2021; SpecAugment's frequency mask, Park et al. 2019)."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.views.base import View, ViewGenerator, check_ratio


def frequency_band(n: int, n_bins: int, max_fraction: float, generator: torch.Generator, device: torch.device) -> Tensor:
    """Bool ``(n, n_bins)``: per row a band of ``w ~ U{0, ⌊max_fraction · n_bins⌋}`` consecutive bins starting at
    ``U{0, n_bins − w}`` (the reference's draw, s3prl ``pretrain/mockingjay/task.py``)."""
    width = (torch.rand(n, generator=generator, device=device) * (int(max_fraction * n_bins) + 1)).long()
    low = (torch.rand(n, generator=generator, device=device) * (n_bins - width + 1)).long().clamp(max=n_bins - 1)
    bins = torch.arange(n_bins, device=device)
    return (bins >= low[:, None]) & (bins < (low + width)[:, None])


@dataclasses.dataclass(frozen=True)
class FrequencyMask(ViewGenerator):
    """``x`` (N, T, F) with one band of :func:`frequency_band` set to ``value`` on every valid frame; ``mask``
    (N, T, F) marks the zeroed bins of valid frames."""

    max_fraction: float = 0.2
    value: float = 0.0

    def __post_init__(self) -> None:
        check_ratio(self.max_fraction, "max_fraction", "FrequencyMask")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        band = frequency_band(x.shape[0], x.shape[-1], self.max_fraction, generator, x.device)
        mask = band[:, None, :] & valid[..., None]
        return View(x.masked_fill(mask, self.value), mask)
