"""Dropout at a small rate drawn sparsely: the masks of ``nn.Dropout``, at O(p·n) random numbers instead of n.

Written here because PyTorch draws one Bernoulli number per element (``bernoulli_``, about 9 ns each on this
CPU): at T-JEPA's dropout of 0.002 that was a fifth of a pretraining step at the reference's size, to drop one
element in 500. And attention with dropout cannot use the fused (flash) kernel of
``scaled_dot_product_attention``, which runs the softmax without materialising and masking the weights.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

SPARSE_BELOW = 0.05
"""Rates at or above this use PyTorch's dense dropout: the subset drawn here would gain little and repeat draws."""


def dropped_positions(numel: int, p: float, device: torch.device | str = "cpu") -> Tensor:
    """Flat indices (distinct, in random order) of a Bernoulli(``p``) subset of ``range(numel)``: each index in it
    independently with probability ``p``, as the zeros of ``nn.Dropout``.

    ``K ~ Binomial(numel, p)``, then a uniform K-subset: the distinct values of uniform draws with replacement
    (topped up until there are at least K) form, given their number, a uniform subset (the draws are
    exchangeable), and K of them taken at random are a uniform K-subset.
    """
    count = int(torch.binomial(torch.tensor(float(numel), dtype=torch.float64), torch.tensor(p, dtype=torch.float64)))
    chosen = torch.empty(0, dtype=torch.long, device=device)
    while chosen.numel() < count:
        missing = count - chosen.numel()
        draws = torch.randint(numel, (missing + missing // 8 + 1,), device=device)
        chosen = torch.cat([chosen, draws]).unique()
    return chosen[torch.randperm(chosen.numel(), device=device)[:count]]


def sparse_dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """``x · m / (1 − p)`` with ``m_i ~ Bernoulli(1 − p)`` (Srivastava et al. 2014), as ``F.dropout``; the zeros
    come from :func:`dropped_positions` when ``p < SPARSE_BELOW``."""
    if not training or p == 0.0:
        return x
    if p >= SPARSE_BELOW:
        return F.dropout(x, p, True)
    return _ScaleAndZero.apply(x, dropped_positions(x.numel(), p, x.device), 1.0 / (1.0 - p))


def scaled_with_zeros(x: Tensor, dropped: Tensor, scale: float) -> Tensor:
    """A new contiguous ``s·x``, zero at the flat indices ``dropped``: a dropout mask applied in one pass."""
    out = x.contiguous() * scale
    out.view(-1).index_fill_(0, dropped, 0.0)
    return out


class _ScaleAndZero(torch.autograd.Function):
    """``y = s·x`` with ``y`` zero at the flat indices ``dropped``; the gradient likewise (one pass each way)."""

    @staticmethod
    def forward(ctx, x: Tensor, dropped: Tensor, scale: float) -> Tensor:
        ctx.save_for_backward(dropped)
        ctx.scale = scale
        return scaled_with_zeros(x, dropped, scale)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (dropped,) = ctx.saved_tensors
        return scaled_with_zeros(grad, dropped, ctx.scale), None, None


def attention_with_sparse_dropout(q: Tensor, k: Tensor, v: Tensor, p: float, dropped: Tensor | None = None) -> Tensor:
    """``D(softmax(QKᵀ/√d)) V`` for ``(B, H, L, d)`` inputs, ``D`` dropout at rate ``p`` on the attention weights
    as in ``nn.MultiheadAttention``, computed exactly as ``(softmax(QKᵀ/√d) V − C) / (1 − p)``: the fused attention
    kernel for the first term, and ``C[b,h,i] = Σ_{dropped (b,h,i,j)} w_bhij · v_bhj`` over the few dropped weights
    (their weights recomputed from ``q`` and ``k``). ``dropped``: flat indices into ``(B, H, L, L)`` (default: drawn
    by :func:`dropped_positions`).
    """
    if p == 0.0 or (p >= SPARSE_BELOW and dropped is None):
        return F.scaled_dot_product_attention(q, k, v, dropout_p=p)
    out = F.scaled_dot_product_attention(q, k, v)
    batch, heads, length, width = q.shape
    if dropped is None:
        dropped = dropped_positions(batch * heads * length * length, p, q.device)
    b, h, i, j = torch.unravel_index(dropped, (batch, heads, length, length))
    scores = torch.einsum("kd,kld->kl", q[b, h, i], k[b, h]) * width**-0.5
    weights = scores.softmax(dim=-1).gather(1, j.unsqueeze(1))
    correction = weights * v[b, h, j]
    return out.index_put((b, h, i), -correction.to(out.dtype), accumulate=True) * (1.0 / (1.0 - p))
