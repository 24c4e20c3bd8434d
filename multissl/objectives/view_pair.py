"""Checks and gathers the two (N, D) views that the joint-embedding objectives compare."""

from __future__ import annotations

import torch

from multissl.distributed import gather_with_grad
from multissl.errors import InvalidDataError


def gather_view_pair(z1: torch.Tensor, z2: torch.Tensor, who: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Both views over the global batch (gradients flow back); at least 2 samples in all."""
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise InvalidDataError(
            f"{who} expects two views of shape (N, D) with equal shapes, got {tuple(z1.shape)} and {tuple(z2.shape)}."
        )
    z1, z2 = gather_with_grad(z1), gather_with_grad(z2)
    if z1.shape[0] < 2:
        raise InvalidDataError(f"{who} needs at least 2 samples in the (global) batch, got {z1.shape[0]}.")
    return z1, z2
