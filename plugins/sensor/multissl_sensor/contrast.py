"""ColloSSL's weighted multi-device contrastive loss over per-pair weights, and the sampling modes that set them."""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from multissl.distributed import all_reduce_sum, gather_with_grad, global_mean, local_slice
from multissl.errors import RecipeError

Sampling = Literal["unsync_neg", "sync_all", "unsync_all", "all_times"]


class DeviceContrastiveLoss(nn.Module):
    """Weighted multi-view contrastive loss of ColloSSL (Jain et al. 2022, eq. 3), pair by pair:

    ``L_i = −log( Σ_{j,d} P_ijd e^{s_ijd} / Σ_{j,d} (P_ijd + W_ijd) e^{s_ijd} )``, with ``s_ijd = cos(a_i, k_jd) / τ``,
    ``k_jd`` device ``d``'s window at row ``j`` of the (global) batch, ``P`` the positive and ``W`` the negative
    pair weights (:func:`pair_weights`). With ``P`` one synchronised positive of weight 1 and ``W`` one window per
    negative device weighted ``1/MMD``, this is the reference's ``weighted_group_contrastive_loss_with_temp``.
    Keys are gathered from every process, so data parallelism gives the one-process loss.
    """

    def __init__(self, temperature: float = 0.05):
        super().__init__()
        if not temperature > 0:
            raise RecipeError(f"collossl temperature must be positive, got {temperature}.")
        self.temperature = float(temperature)

    def forward(self, anchor: Tensor, devices: Tensor, positive_pairs: Tensor, negative_pairs: Tensor):
        """``anchor`` (N, E), ``devices`` (N, D, E); pair weights (N, M, D) over the M rows of all processes."""
        keys = gather_with_grad(F.normalize(devices, dim=-1))
        logits = torch.einsum("ne,mde->nmd", F.normalize(anchor, dim=-1), keys).flatten(1) / self.temperature
        positive, negative = positive_pairs.flatten(1), negative_pairs.flatten(1)
        has_positive = (positive > 0).any(1)
        no_positive = ~has_positive[:, None]  # such rows would give log(0) - log(0); they are left out
        log_positive = (logits + _log(positive)).masked_fill(no_positive, 0.0).logsumexp(1)
        log_all = (logits + _log(positive + negative)).masked_fill(no_positive, 0.0).logsumexp(1)
        loss_sum = torch.where(has_positive, log_all - log_positive, 0.0).sum()
        with torch.no_grad():
            cosine = (logits * self.temperature * positive).sum() / positive.sum().clamp_min(1e-12)
            totals = all_reduce_sum(torch.stack([loss_sum.detach(), has_positive.sum().to(loss_sum.dtype)]))
        return global_mean(loss_sum, totals[0], totals[1]), {"positive_cosine": cosine}


def pair_weights(n: int, positive_weights: Tensor, negative_weights: Tensor, sampling: Sampling, samples: int = 1,
                 generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Positive and negative pair weights (N, M, D) for this process's ``n`` anchors over the M global rows, from
    per-device weights (D,) (0 for a device that is not a positive, resp. negative). The reference's
    ``multi_sampling_mode`` (akhilmathurs/collossl):

    - ``sync_all``: positives and negatives at the anchor's own time (negatives repeated ``samples`` times);
    - ``unsync_neg``: positives at the anchor's time; per anchor and negative device, ``samples`` windows drawn
      uniformly among the other times (the reference permutes the batch: the same marginal);
    - ``unsync_all``: every device sampled on its own: the positive is a window drawn uniformly from the batch, the
      negatives as in ``unsync_neg``;
    - ``all_times``: positives at the anchor's time, every other time of every negative device (the expectation of
      ``unsync_neg`` times M−1, without its sampling noise).
    """
    rows = local_slice(n, device=positive_weights.device)
    total = int(all_reduce_sum(torch.tensor([n], device=positive_weights.device))[0])
    count, device = positive_weights.shape[0], positive_weights.device
    own = torch.arange(rows.start, rows.stop, device=device)
    if sampling == "unsync_all":
        partner = torch.randint(total, (n, 1, count), generator=generator, device=device)
        positive = _scatter(n, total, partner, positive_weights)
    else:
        positive = _scatter(n, total, own[:, None, None].expand(n, 1, count), positive_weights)
    if sampling == "sync_all":
        negative = _scatter(n, total, own[:, None, None].expand(n, 1, count), negative_weights * samples)
    elif sampling == "all_times":
        others = (own[:, None] != torch.arange(total, device=device)).to(negative_weights.dtype)
        negative = others[..., None] * negative_weights
    elif total < 2:
        negative = torch.zeros(n, total, count, dtype=negative_weights.dtype, device=device)  # no other time
    else:
        offset = torch.randint(total - 1, (n, samples, count), generator=generator, device=device)
        negative = _scatter(n, total, (own[:, None, None] + 1 + offset) % total, negative_weights)
    return positive, negative


def _scatter(n: int, total: int, rows: Tensor, weights: Tensor) -> Tensor:
    """(N, M, D) zeros with ``weights[d]`` added at ``[i, rows[i, k, d], d]`` (repeated draws add up)."""
    pairs = torch.zeros(n, total, weights.shape[0], dtype=weights.dtype, device=weights.device)
    return pairs.scatter_add_(1, rows, weights.expand(rows.shape).contiguous())


def _log(weights: Tensor) -> Tensor:
    """log of non-negative weights: -inf for 0, with a finite gradient everywhere."""
    return torch.where(weights > 0, weights.clamp_min(torch.finfo(weights.dtype).tiny).log(), float("-inf"))
