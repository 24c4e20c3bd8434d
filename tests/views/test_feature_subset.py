"""FeatureSubset: keep max(⌈r × n_valid⌉, 1) valid positions, r ~ U[low, high]; hide the rest."""

from __future__ import annotations

import math

import pytest
import torch

from multissl.errors import RecipeError
from multissl.views import FeatureSubset


def test_kept_share_lies_between_low_and_high_and_spans_the_range(seeded):
    x = torch.randn(2000, 20)
    view = FeatureSubset(low=0.25, high=0.75)(x, seeded(0))
    kept = (~view.mask).sum(dim=1)
    assert kept.unique().tolist() == list(range(6, 16))  # ⌈r × 20⌉ for r in (0.25, 0.75)


def test_low_equal_high_keeps_an_exact_count_per_row(padded_sequences, seeded):
    x, valid = padded_sequences
    view = FeatureSubset(low=0.4, high=0.4)(x, seeded(0), valid=valid)
    kept = (valid & ~view.mask).sum(dim=1).tolist()
    assert kept == [min(max(math.ceil(0.4 * n), 1), n) for n in valid.sum(dim=1).tolist()]


def test_at_least_one_position_is_kept(seeded):
    view = FeatureSubset(low=0.0, high=0.0)(torch.randn(50, 8), seeded(0))
    assert ((~view.mask).sum(dim=1) == 1).all()


def test_hidden_positions_take_value_and_kept_ones_are_unchanged(seeded):
    x = torch.randn(30, 10, 3)
    view = FeatureSubset(value=5.0)(x, seeded(0))
    assert (view.data[view.mask] == 5.0).all()
    assert torch.equal(view.data[~view.mask], x[~view.mask])


@pytest.mark.parametrize("options", [{"low": 0.8, "high": 0.2}, {"low": -0.1}, {"high": 1.1}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="FeatureSubset"):
        FeatureSubset(**options)
