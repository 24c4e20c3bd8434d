"""Span masking along time: hide runs of consecutive frames (TERA, HuBERT)."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator, check_ratio, fill


@dataclasses.dataclass(frozen=True)
class SpanMask(ViewGenerator):
    """Time masking of Liu et al. 2021 (TERA) and Hsu et al. 2021 (HuBERT, after wav2vec 2.0).

    Per row, ``n_spans = max(round(n_valid × ratio / span), min_spans)`` start positions are drawn
    uniformly from ``[0, n_valid − span]`` (overlap allowed) and each span hides ``span`` consecutive
    valid positions, set to ``value``. Rows with fewer than ``span`` valid positions get no span.
    Positions are counted among the valid ones, so with trailing padding (the usual case) a span is
    ``span`` consecutive frames.
    """

    ratio: float = 0.15
    span: int = 7
    value: float = 0.0
    min_spans: int = 0

    def __post_init__(self) -> None:
        check_ratio(self.ratio, "ratio", "SpanMask")
        if not isinstance(self.span, int) or self.span < 1:
            raise RecipeError(f"SpanMask span must be a positive integer, got {self.span}.")
        if not isinstance(self.min_spans, int) or self.min_spans < 0:
            raise RecipeError(f"SpanMask min_spans must be a non-negative integer, got {self.min_spans}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n, length = valid.shape
        n_valid = valid.sum(dim=1)
        n_spans = torch.round(n_valid.double() * self.ratio / self.span).long().clamp(min=self.min_spans)
        n_spans = n_spans.masked_fill(n_valid < self.span, 0)
        most = max(round(length * self.ratio / self.span), self.min_spans)  # bound on n_spans, no device sync
        starts = (torch.rand(n, most, generator=generator, device=x.device, dtype=torch.float64)
                  * (n_valid - self.span + 1).clamp(min=1)[:, None]).long()
        active = (torch.arange(most, device=x.device) < n_spans[:, None]).long()
        # Difference array over valid-position indices: +1 where a span starts, -1 just past its end.
        edges = torch.zeros(n, length + 1, dtype=torch.long, device=x.device)
        edges.scatter_add_(1, starts, active).scatter_add_(1, (starts + self.span).clamp(max=length), -active)
        hidden_in_valid_order = edges.cumsum(dim=1)[:, :length] > 0
        valid_positions = torch.argsort(~valid, dim=1, stable=True)
        mask = torch.zeros_like(valid).scatter(1, valid_positions, hidden_in_valid_order)
        return View(fill(x, mask, self.value, "SpanMask"), mask)
