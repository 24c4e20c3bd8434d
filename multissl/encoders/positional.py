"""Fixed sinusoidal position encodings."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def sinusoidal_positions(length: int, dim: int, base: float = 10000.0) -> Tensor:
    """``(length, dim)`` table of Vaswani et al. 2017: ``PE[p, 2i] = sin(p / base^(2i/dim))``,
    ``PE[p, 2i+1] = cos(p / base^(2i/dim))``; short sequences (a row's columns) may use a small base."""
    positions = torch.arange(length, dtype=torch.float32)[:, None]
    frequencies = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(base) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(positions * frequencies)
    table[:, 1::2] = torch.cos(positions * frequencies)[:, : dim // 2]
    return table
