"""GaussianNoise: x + N(0, std²) on valid positions of rows picked with probability p."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.views import GaussianNoise


def test_noise_has_the_requested_spread_and_no_mask(seeded):
    x = torch.randn(200, 50, generator=seeded(9))
    view = GaussianNoise(std=0.3)(x, seeded(0))
    assert view.mask is None
    noise = view.data - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.3) < 0.01


@pytest.mark.parametrize("p, changed_share", [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)])
def test_rows_are_picked_with_probability_p(p, changed_share, seeded):
    x = torch.zeros(2000, 4)
    view = GaussianNoise(std=1.0, p=p)(x, seeded(0))
    changed = (view.data != x).all(dim=1)
    assert (view.data != x).any(dim=1).eq(changed).all()  # a picked row is noised everywhere
    assert abs(changed.float().mean() - changed_share) < 0.04


def test_integer_data_is_refused(seeded):
    with pytest.raises(InvalidDataError, match="floating-point"):
        GaussianNoise()(torch.ones(2, 3, dtype=torch.int64), seeded(0))


@pytest.mark.parametrize("options", [{"std": -1.0}, {"p": 1.2}])
def test_bad_settings_are_refused(options):
    with pytest.raises(RecipeError, match="GaussianNoise"):
        GaussianNoise(**options)
