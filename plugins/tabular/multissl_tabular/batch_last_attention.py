"""Attention over many short sequences with small heads, computed with the (sequence, head) pairs innermost.

Written here because PyTorch's fused CPU kernel (``scaled_dot_product_attention``) and ``bmm`` both work one
(sequence, head) problem at a time: at T-JEPA's predictor size (head dimension 4, 5-15 tokens, 8,192 problems per
layer) the per-problem overhead dominates, and attention was a third of a pretraining step. With the problems as the
last, contiguous axis every product and sum is one vectorised elementwise pass over all of them, looped over the few
tokens and head dimensions instead; forward + backward of one layer's attention is 2.4-5.6x faster at 6-14 tokens
(``python benchmarks/tabular/benchmark.py attention``).
"""

from __future__ import annotations

import torch
from torch import Tensor

BATCH_LAST_MAX = 64
"""``head_dim * length`` at or below which :func:`batch_last_attention` beat the fused kernel on this CPU (head
dimension 4 up to 16 tokens, 8 up to 8); above it the loops over tokens and head dimensions cost more."""


def batch_last_attention(q: Tensor, k: Tensor, v: Tensor, scale: float, dropped: Tensor | None = None) -> Tensor:
    """``D(softmax(QKᵀ/√d)) V`` for ``(B, H, L, d)`` inputs (Vaswani et al. 2017), ``D`` zeroing the attention
    weights at the flat ``(B, H, L, L)`` indices ``dropped`` and multiplying the rest by ``scale`` (dropout as in
    ``nn.MultiheadAttention``; ``dropped=None``: no dropout). Returns ``(B, H, L, d)``."""
    batch, heads, length, width = q.shape
    problems = batch * heads
    q, k, v = (t.permute(2, 3, 0, 1).reshape(length, width, problems) for t in (q, k, v))
    if dropped is not None:  # (b, h, i, j) -> flat index into the (i, j, b·h) layout of the weights here
        b, h, i, j = torch.unravel_index(dropped, (batch, heads, length, length))
        dropped = (i * length + j) * problems + b * heads + h
    out = _BatchLastAttention.apply(q, k, v, dropped, scale)
    return out.view(length, width, batch, heads).permute(2, 3, 0, 1)


def _outer(a: Tensor, b: Tensor) -> Tensor:
    """``a`` (L, N), ``b`` (M, N) -> contiguous (L, M, N) ``a_i ⊙ b_j``, the first term of each sum below."""
    return torch.mul(a.unsqueeze(1), b.unsqueeze(0), out=a.new_empty(a.shape[0], b.shape[0], a.shape[1]))


def _dropped_weights(weights: Tensor, dropped: Tensor | None, scale: float) -> Tensor:
    if dropped is None:
        return weights
    out = weights * scale
    out.view(-1).index_fill_(0, dropped, 0.0)
    return out


class _BatchLastAttention(torch.autograd.Function):
    """Forward and backward on ``(L, d, N)`` tensors, ``N`` problems innermost; weights ``A`` are ``(L, L, N)``.

    ``S_ij = Σ_c q_ic k_jc / √d``, ``A = softmax_j(S)``, ``O_i = Σ_j D(A)_ij v_j``; backward
    ``dv_j = Σ_i D(A)_ij dO_i``, ``dA = D'(Σ_c dO_ic v_jc)``, ``dS = A ⊙ (dA − Σ_j A ⊙ dA)``,
    ``dq_i = Σ_j dS_ij k_j / √d``, ``dk_j = Σ_i dS_ij q_i / √d``.
    """

    @staticmethod
    def forward(ctx, q: Tensor, k: Tensor, v: Tensor, dropped: Tensor | None, scale: float) -> Tensor:
        length, width, _ = q.shape
        q = q * width**-0.5
        scores = _outer(q[:, 0], k[:, 0])
        for c in range(1, width):
            scores.addcmul_(q[:, c].unsqueeze(1), k[:, c].unsqueeze(0))
        weights = scores.softmax(dim=1)
        kept = _dropped_weights(weights, dropped, scale)
        out = _outer(kept[:, 0], v[0])
        for j in range(1, length):
            out.addcmul_(kept[:, j].unsqueeze(1), v[j].unsqueeze(0))
        ctx.save_for_backward(q, k, v, weights, dropped)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        q, k, v, weights, dropped = ctx.saved_tensors
        length, width, _ = q.shape
        grad = grad.contiguous()
        kept = _dropped_weights(weights, dropped, ctx.scale)
        grad_v = _outer(kept[0], grad[0])
        for i in range(1, length):
            grad_v.addcmul_(kept[i].unsqueeze(1), grad[i].unsqueeze(0))
        grad_weights = _outer(grad[:, 0], v[:, 0])
        for c in range(1, width):
            grad_weights.addcmul_(grad[:, c].unsqueeze(1), v[:, c].unsqueeze(0))
        grad_weights = _dropped_weights(grad_weights, dropped, ctx.scale)
        grad_scores = weights * (grad_weights - (weights * grad_weights).sum(dim=1, keepdim=True))
        grad_q = _outer(grad_scores[:, 0], k[0])
        for j in range(1, length):
            grad_q.addcmul_(grad_scores[:, j].unsqueeze(1), k[j].unsqueeze(0))
        grad_k = _outer(grad_scores[0], q[0])
        for i in range(1, length):
            grad_k.addcmul_(grad_scores[i].unsqueeze(1), q[i].unsqueeze(0))
        return grad_q.mul_(width**-0.5), grad_k, grad_v, None, None
