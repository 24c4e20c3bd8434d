"""SpanMask: round(n_valid × ratio / span) spans of `span` consecutive valid positions per row."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import RecipeError
from multissl.views import SpanMask


def _runs(row: torch.Tensor) -> list[tuple[int, int]]:
    """(start, length) of each run of True in a 1-D bool tensor."""
    edges = torch.diff(torch.cat([row.new_zeros(1), row, row.new_zeros(1)]).int())
    starts, ends = torch.nonzero(edges == 1).flatten(), torch.nonzero(edges == -1).flatten()
    return [(int(s), int(e - s)) for s, e in zip(starts, ends)]


def test_one_span_is_exactly_span_consecutive_valid_frames(seeded):
    # n_valid = 40, ratio × n_valid / span = 0.125 × 40 / 5 = 1 span per row.
    x = torch.randn(500, 50, 2)
    valid = torch.arange(50) < 40
    view = SpanMask(ratio=0.125, span=5)(x, seeded(0), valid=valid.expand(500, 50))
    runs = [_runs(row) for row in view.mask]
    assert all(len(r) == 1 and r[0][1] == 5 for r in runs)
    starts = torch.tensor([r[0][0] for r in runs])
    assert starts.min() == 0 and starts.max() == 40 - 5  # both ends of [0, n_valid − span] are reachable


def test_span_count_follows_ratio_and_each_run_is_at_least_a_span(padded_sequences, seeded):
    x, valid = padded_sequences
    ratio, span = 0.5, 3
    view = SpanMask(ratio=ratio, span=span)(x, seeded(1), valid=valid)
    for row, n_valid in zip(view.mask, valid.sum(dim=1).tolist()):
        n_spans = round(n_valid * ratio / span) if n_valid >= span else 0
        runs = _runs(row)
        assert all(length >= span for _, length in runs)
        assert (0 < row.sum() <= n_spans * span) if n_spans else row.sum() == 0


def test_rows_shorter_than_a_span_get_no_mask(seeded):
    x = torch.randn(3, 6, 2)
    valid = torch.arange(6) < torch.tensor([6, 3, 0])[:, None]
    view = SpanMask(ratio=0.9, span=4, min_spans=2)(x, seeded(0), valid=valid)
    assert view.mask[1:].sum() == 0 and view.mask[0].sum() >= 4
    short = SpanMask(ratio=0.5, span=10)(torch.randn(2, 6), seeded(0))  # L itself below the span
    assert not short.mask.any() and torch.isfinite(short.data).all()


def test_min_spans_applies_when_the_ratio_rounds_to_zero(seeded):
    x = torch.randn(64, 20)
    assert not SpanMask(ratio=0.05, span=5)(x, seeded(0)).mask.any()
    assert (SpanMask(ratio=0.05, span=5, min_spans=1)(x, seeded(0)).mask.sum(dim=1) == 5).all()


def test_spans_run_over_valid_positions_when_padding_is_interleaved(seeded):
    valid = torch.tensor([[True, False] * 10]).expand(200, 20)  # every other position is padding
    view = SpanMask(ratio=0.3, span=3)(torch.randn(200, 20), seeded(0), valid=valid)  # 1 span of 3 valid positions
    assert (view.mask.sum(dim=1) == 3).all() and not (view.mask & ~valid).any()
    positions = view.mask.nonzero()[:, 1].view(200, 3)
    assert (positions.diff(dim=1) == 2).all()  # consecutive among the valid positions


@pytest.mark.parametrize("options", [{"span": 0}, {"span": 2.5}, {"min_spans": -1}, {"ratio": 2.0}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="SpanMask"):
        SpanMask(**options)
