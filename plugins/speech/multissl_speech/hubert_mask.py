"""HuBERT's time masking as fairseq draws it (``fairseq.data.data_utils.compute_mask_indices``, static spans)."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator, check_ratio, fill


@dataclasses.dataclass(frozen=True)
class FairseqSpanMask(ViewGenerator):
    """Per row of ``T_i`` valid frames, ``n_i = max(⌊ratio · T_i / span + u⌋, min_spans)`` spans (``u ~ U[0, 1)``:
    probabilistic rounding) start at ``n_i`` DISTINCT positions drawn uniformly from ``[0, T_i − span)``
    (from ``[0, n_i]`` when that range holds fewer than ``n_i + 1`` starts); each hides ``span`` consecutive
    valid frames, cut at the row's end. Spans may overlap.

    fairseq then trims every row to the batch's smallest masked count; that step is left out because fairseq
    crops each batch to its shortest clip (rows of equal length), while here clips are padded, and trimming to
    the shortest clip would mask long clips far less than ``ratio``.
    """

    ratio: float = 0.8
    span: int = 10
    min_spans: int = 2
    value: float = 0.0

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "FairseqSpanMask")
        if not isinstance(self.span, int) or self.span < 1:
            raise RecipeError(f"FairseqSpanMask span must be a positive integer, got {self.span}.")
        if not isinstance(self.min_spans, int) or self.min_spans < 0:
            raise RecipeError(f"FairseqSpanMask min_spans must be a non-negative integer, got {self.min_spans}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n, length = valid.shape
        device = x.device
        n_valid = valid.sum(dim=1)
        rounding = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
        n_spans = (n_valid.double() * self.ratio / self.span + rounding).floor().long().clamp(min=self.min_spans)
        n_starts = torch.where(n_valid - self.span <= n_spans, n_spans + 1, n_valid - self.span)
        most = max(int(self.ratio * length / self.span) + 1, self.min_spans)  # bound on n_spans, no device sync
        width = max(length, most + 1)  # bound on n_starts
        # distinct starts: the first n_spans of a random permutation of [0, n_starts)
        keys = torch.rand(n, width, generator=generator, device=device)
        keys = keys.masked_fill(torch.arange(width, device=device) >= n_starts[:, None], 2.0)
        starts = keys.argsort(dim=1)[:, :most]
        active = (torch.arange(most, device=device) < n_spans[:, None]).long()
        # difference array over valid-frame indices: +1 where a span starts, -1 just past its end
        edges = torch.zeros(n, width + self.span + 1, dtype=torch.long, device=device)
        edges.scatter_add_(1, starts, active).scatter_add_(1, starts + self.span, -active)
        hidden_in_valid_order = (edges.cumsum(dim=1)[:, :length] > 0) & (torch.arange(length, device=device) < n_valid[:, None])
        valid_positions = torch.argsort(~valid, dim=1, stable=True)
        mask = torch.zeros_like(valid).scatter(1, valid_positions, hidden_in_valid_order)
        return View(fill(x, mask, self.value, "FairseqSpanMask"), mask)
