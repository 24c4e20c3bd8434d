"""T-JEPA's column sampler: sizes within the ratios, disjoint context and targets, seeded, per row."""

from __future__ import annotations

import pytest
import torch
from multissl_tabular.masks import FeatureMasks

from multissl.errors import InvalidDataError, RecipeError


@pytest.mark.parametrize("n_features", [2, 3, 14, 54])
def test_context_and_targets_are_disjoint_valid_columns(n_features):
    masks = FeatureMasks()
    generator = torch.Generator().manual_seed(0)
    for _ in range(20):
        context, targets = masks(64, n_features, generator)
        n_rows, n_targets, n_target = targets.shape
        assert (n_rows, n_targets) == (64, 4) and context.shape[0] == 64
        assert context.shape[1] + n_target <= n_features
        both = torch.cat([context.unsqueeze(1).expand(-1, n_targets, -1), targets], dim=2)
        assert both.min() >= 0 and both.max() < n_features
        # no column twice within a context ∪ target set: context and each target set are disjoint
        assert (both.sort(dim=2).values.diff(dim=2) != 0).all()


def test_sizes_follow_the_reference_ratios():
    masks, d = FeatureMasks(), 100
    generator = torch.Generator().manual_seed(1)
    sizes = torch.tensor([masks.sizes(d, generator) for _ in range(300)])
    assert sizes[:, 0].min() >= round(0.136 * d) and sizes[:, 0].max() <= round(0.368 * d)
    assert sizes[:, 1].min() >= round(0.156 * d) and sizes[:, 1].max() <= round(0.622 * d)
    assert (sizes.sum(dim=1) <= d).all()


def test_rows_get_different_subsets_and_seeds_repeat():
    masks = FeatureMasks()
    first = masks(32, 20, torch.Generator().manual_seed(3))
    again = masks(32, 20, torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    context = first[0].sort(dim=1).values
    assert len({tuple(row.tolist()) for row in context}) > 1


def test_every_column_can_be_a_context_or_target():
    """The reference never masks its last columns; here every column is drawn."""
    context, targets = FeatureMasks()(512, 10, torch.Generator().manual_seed(4))
    assert set(context.unique().tolist()) == set(range(10)) == set(targets.unique().tolist())


def test_bad_ratios_and_too_few_columns():
    with pytest.raises(RecipeError):
        FeatureMasks(context_min=0.5, context_max=0.1)
    with pytest.raises(InvalidDataError, match="at least 2"):
        FeatureMasks()(4, 1, torch.Generator())
