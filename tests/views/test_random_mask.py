"""RandomMask: exactly round(ratio × n_valid) uniformly chosen valid positions per row, set to value."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.views import RandomMask


@pytest.mark.parametrize("ratio", [0.0, 0.15, 0.25, 0.5, 1.0])
def test_masks_exactly_round_ratio_times_valid_positions(ratio, padded_sequences, seeded):
    x, valid = padded_sequences
    view = RandomMask(ratio=ratio)(x, seeded(0), valid=valid)
    expected = [round(ratio * n) for n in valid.sum(dim=1).tolist()]
    assert view.mask.sum(dim=1).tolist() == expected


def test_masked_positions_take_value_over_their_whole_slice_and_others_are_kept(padded_sequences, seeded, expand):
    x, valid = padded_sequences
    view = RandomMask(ratio=0.4, value=-7.0)(x, seeded(0), valid=valid)
    hidden = expand(view.mask, x)
    assert (view.data[hidden] == -7.0).all()
    assert torch.equal(view.data[~hidden], x[~hidden])


def test_every_position_is_equally_likely(seeded):
    x = torch.zeros(4000, 10)
    frequency = RandomMask(ratio=0.3)(x, seeded(0)).mask.float().mean(dim=0)
    assert torch.allclose(frequency, torch.full((10,), 0.3), atol=0.03), frequency


def test_integer_data_takes_integer_values_only(seeded):
    tokens = torch.arange(12).view(2, 6)
    view = RandomMask(ratio=0.5, value=99)(tokens, seeded(0))
    assert view.data.dtype == torch.int64 and (view.data[view.mask] == 99).all()
    with pytest.raises(InvalidDataError, match="non-integer value 0.5"):
        RandomMask(ratio=0.5, value=0.5)(tokens, seeded(0))


@pytest.mark.parametrize("ratio", [-0.1, 1.5])
def test_ratio_outside_unit_interval_is_refused(ratio):
    with pytest.raises(RecipeError, match="ratio must be in \\[0, 1\\]"):
        RandomMask(ratio=ratio)
