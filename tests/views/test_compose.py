"""Compose: generators applied in order to the running data; masks ORed."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import RecipeError
from multissl.views import Compose, GaussianNoise, MarginalCorruption, RandomMask


def test_applies_in_order_and_ors_the_masks(padded_sequences, seeded):
    x, valid = padded_sequences
    corrupt, mask, noise = MarginalCorruption(ratio=0.3), RandomMask(ratio=0.3, value=9.0), GaussianNoise(std=0.1)
    composed = Compose(corrupt, mask, noise)(x, seeded(5), valid=valid)
    generator = seeded(5)
    first = corrupt(x, generator, valid=valid)
    second = mask(first.data, generator, valid=valid)
    third = noise(second.data, generator, valid=valid)
    assert torch.equal(composed.data, third.data)
    assert torch.equal(composed.mask, first.mask | second.mask)
    assert not torch.equal(composed.mask, first.mask) and not torch.equal(composed.mask, second.mask)


def test_mask_is_none_when_no_step_singles_out_positions(seeded):
    assert Compose(GaussianNoise(), GaussianNoise(std=0.2))(torch.randn(4, 5), seeded(0)).mask is None


def test_repr_lists_the_steps():
    assert repr(Compose(RandomMask(ratio=0.2), GaussianNoise())) == (
        "Compose(RandomMask(ratio=0.2, value=0.0), GaussianNoise(std=0.1, p=1.0))"
    )


@pytest.mark.parametrize("steps", [(), (RandomMask(), "gaussian_noise")])
def test_needs_view_generators(steps):
    with pytest.raises(RecipeError, match="Compose needs"):
        Compose(*steps)
