"""Multi-kernel Gaussian maximum mean discrepancy between one device's windows and every device's."""

from __future__ import annotations

import torch
from torch import Tensor

COLLOSSL_SIGMAS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 100.0)
"""Kernel widths of the ColloSSL reference (akhilmathurs/collossl, after Long et al. 2015)."""


def gaussian_kernels(a: Tensor, b: Tensor, sigmas: Tensor) -> Tensor:
    """``k(x, y) = Σ_s exp(-‖x − y‖² / (2 σ_s))`` for batched sets ``a`` (..., N, F), ``b`` (..., M, F) -> (..., N, M)."""
    squared = torch.cdist(a, b).square()
    return torch.exp(-squared[..., None] / (2 * sigmas)).sum(-1)


def mmd_to_each(anchor: Tensor, devices: Tensor, sigmas: Tensor) -> Tensor:
    """Biased MMD² between the anchor set (..., N, F) and each device's set in ``devices`` (..., D, N, F), clamped
    at 0: ``MMD²(X, Y) = mean k(X, X) + mean k(Y, Y) − 2 mean k(X, Y)`` (Gretton et al. 2012). Returns (..., D);
    leading dimensions (e.g. one per channel) are independent sets."""
    anchor = anchor.unsqueeze(-3)
    anchor_term = gaussian_kernels(anchor, anchor, sigmas).mean(dim=(-2, -1))
    device_terms = gaussian_kernels(devices, devices, sigmas).mean(dim=(-2, -1))
    cross_terms = gaussian_kernels(anchor.expand_as(devices), devices, sigmas).mean(dim=(-2, -1))
    return (anchor_term + device_terms - 2 * cross_terms).clamp_min(0.0)
