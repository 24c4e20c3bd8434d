"""Sinusoidal position table (Vaswani et al. 2017)."""

from __future__ import annotations

import math

import pytest
import torch

from multissl.encoders.positional import sinusoidal_positions


@pytest.mark.parametrize("dim", [8, 7])
def test_table_follows_the_formula(dim):
    table = sinusoidal_positions(50, dim)
    assert table.shape == (50, dim)
    for position, i in [(0, 0), (3, 1), (49, 2)]:
        angle = position / 10000 ** (2 * i / dim)
        assert table[position, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-5)
        if 2 * i + 1 < dim:
            assert table[position, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-5)
    assert torch.unique(table, dim=0).shape[0] == 50  # every position is distinct
