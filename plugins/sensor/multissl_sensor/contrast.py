"""ColloSSL's multi-view contrastive loss as the core InfoNCE with per-pair device weights."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.distributed import all_reduce_sum, local_slice
from multissl.errors import RecipeError
from multissl.objectives.infonce import InfoNCE


class DeviceContrastiveLoss(InfoNCE):
    """Weighted multi-view contrastive loss of ColloSSL (Jain et al. 2022, eq. 3):

    ``L_i = −log( e^{s(a_i, p_i)} / (e^{s(a_i, p_i)} + Σ_{d∈neg} w_d Σ_{j∈J_id} e^{s(a_i, d_j)}) )``, with
    ``s`` the cosine over ``temperature``, ``p`` the positive device's time-synchronised window and
    ``w_d = 1 / MMD(anchor, d)``. ``J_id`` are the negative windows of device ``d`` for anchor ``i``:

    - ``negatives="shuffled"`` (the reference, ``unsync_neg``): ``samples`` windows at other times, each drawn
      uniformly from the rest of the (global) batch. The reference permutes the batch, whose per-anchor
      marginal is this draw, except that a permutation may also map an anchor onto its own time.
    - ``negatives="all"``: every other time of the batch (that draw's expectation times N−1, no sampling noise).

    The per-anchor choice is passed to the core InfoNCE as per-pair negative weights (N, M, D).
    """

    def __init__(self, temperature: float = 0.05, negatives: str = "shuffled", samples: int = 1):
        super().__init__(temperature=temperature, normalize=True)
        if negatives not in ("shuffled", "all"):
            raise RecipeError(f"collossl negatives must be 'shuffled' or 'all', got {negatives!r}.")
        if samples < 1:
            raise RecipeError(f"collossl negative_samples must be at least 1, got {samples}.")
        self.negatives, self.samples = negatives, int(samples)

    def forward(self, anchor: Tensor, devices: Tensor, *, positive: int, negative_weights: Tensor,
                generator: torch.Generator | None = None):
        """``anchor`` (N, E), ``devices`` (N, D, E), ``positive`` a device index, ``negative_weights`` (D,)
        (0 for devices that are not negatives, the anchor included); ``generator`` draws shuffled negatives."""
        positive_weights = torch.zeros(devices.shape[1], dtype=anchor.dtype, device=anchor.device)
        positive_weights[positive] = 1.0
        if self.negatives == "shuffled":
            negative_weights = self.shuffled_pairs(anchor.shape[0], negative_weights.to(anchor.dtype), generator)
        return super().forward(anchor, devices, positive_weights=positive_weights, negative_weights=negative_weights)

    def shuffled_pairs(self, n: int, device_weights: Tensor, generator: torch.Generator | None) -> Tensor:
        """(N, M, D) weights: for each anchor and device, ``samples`` other rows of the M global rows, each worth
        that device's weight (repeated draws add up, as the reference's repeated permutations do)."""
        rows = local_slice(n, device=device_weights.device)
        total = int(all_reduce_sum(torch.tensor([n], device=device_weights.device))[0])
        count = device_weights.shape[0]
        pairs = torch.zeros(n, max(total, 1), count, dtype=device_weights.dtype, device=device_weights.device)
        if total < 2:
            return pairs  # a single window has no other time to contrast with
        own = torch.arange(rows.start, rows.stop, device=device_weights.device)[:, None, None]
        offset = torch.randint(total - 1, (n, self.samples, count), generator=generator, device=device_weights.device)
        drawn = (own + 1 + offset) % total  # uniform over the other rows
        values = device_weights.expand(n, self.samples, count)
        return pairs.scatter_add_(1, drawn, values)
