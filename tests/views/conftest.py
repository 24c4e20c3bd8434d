"""Shared fixtures for the view generator tests."""

from __future__ import annotations

import pytest
import torch


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _expand(mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return mask.view(*mask.shape, *([1] * (x.dim() - 2))).expand_as(x)


@pytest.fixture
def seeded():
    """``seeded(seed)``: a CPU generator seeded with ``seed``."""
    return _seeded


@pytest.fixture
def expand():
    """``expand(mask, x)``: a (N, L) mask broadcast to ``x``'s shape."""
    return _expand


@pytest.fixture
def padded_sequences():
    """``(x, valid)``: 6 sequences of 20 frames x 4 features with 20, 17, 12, 9, 4 and 0 real frames."""
    lengths = torch.tensor([20, 17, 12, 9, 4, 0])
    x = torch.randn(6, 20, 4, generator=_seeded(123))
    valid = torch.arange(20) < lengths[:, None]
    return x, valid
