"""ColloSSL's multi-view contrastive loss as the core InfoNCE with device weights."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.objectives.infonce import InfoNCE


class DeviceContrastiveLoss(InfoNCE):
    """Weighted multi-view contrastive loss of ColloSSL (Jain et al. 2022, eq. 3):

    ``L_i = −log( e^{s(a_i, p_i)} / (e^{s(a_i, p_i)} + Σ_{d∈neg} w_d Σ_{j≠i} e^{s(a_i, d_j)}) )``, with
    ``s`` the cosine over ``temperature``, ``p`` the positive device's time-synchronised window and
    ``w_d = 1 / MMD(anchor, d)``. Negatives are the negative devices' windows at other times (every
    ``j ≠ i`` of the batch: the reference draws one such window per anchor by a batch permutation; the
    sum over all of them is that draw's expectation times N−1, at no extra cost).
    """

    def __init__(self, temperature: float = 0.05):
        super().__init__(temperature=temperature, normalize=True)

    def forward(self, anchor: Tensor, devices: Tensor, *, positive: int, negative_weights: Tensor):
        """``anchor`` (N, E), ``devices`` (N, D, E), ``positive`` a device index, ``negative_weights`` (D,)
        (0 for devices that are not negatives, the anchor included)."""
        positive_weights = torch.zeros(devices.shape[1], dtype=anchor.dtype, device=anchor.device)
        positive_weights[positive] = 1.0
        return super().forward(anchor, devices, positive_weights=positive_weights, negative_weights=negative_weights)
