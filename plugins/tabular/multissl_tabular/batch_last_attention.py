"""Attention over many short sequences with small heads, computed with the (sequence, head) pairs innermost.

Written here because PyTorch's fused CPU kernel (``scaled_dot_product_attention``) and ``bmm`` both work one
(sequence, head) problem at a time: at T-JEPA's predictor size (head dimension 4, 5-15 tokens, 8,192 problems per
layer) the per-problem overhead dominates, and attention was over a quarter of a pretraining step. With the problems
as the last, contiguous axis every product and sum is one vectorised elementwise pass over all of them, looped over the
few tokens and head dimensions instead (the pretraining speed against the reference: ``benchmarks/tabular/speed.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from multissl_tabular.sparse_dropout import dropped_positions, scaled_with_zeros

BATCH_LAST_MAX = 64
"""``head_dim * length`` at or below which :func:`batch_last_attention` beat the fused kernel on this CPU (head
dimension 4 up to 16 tokens, 8 up to 8); above it the loops over tokens and head dimensions cost more."""


def use_batch_last(x: Tensor, heads: int) -> bool:
    """Whether :func:`batch_last_attention` is the faster choice for tokens ``x`` (N, L, D) and ``heads`` heads; not
    under autocast, where the fused kernel's float32 softmax keeps reduced-precision inputs accurate."""
    small = x.shape[-1] // heads * x.shape[1] <= BATCH_LAST_MAX
    return x.device.type == "cpu" and small and not torch.is_autocast_enabled(x.device.type)


def batch_last_attention(qkv: Tensor, heads: int, p: float = 0.0, dropped: Tensor | None = None) -> Tensor:
    """Multi-head self-attention ``D(softmax(QKᵀ/√d)) V`` (Vaswani et al. 2017) from the packed projection ``qkv``
    (N, L, 3·D) laid out as ``nn.MultiheadAttention``'s ``in_proj`` output (q, k, v, each ``heads`` x ``d``); returns
    the heads concatenated, (N, L, D). ``D``: dropout at rate ``p`` on the attention weights as in
    ``nn.MultiheadAttention``, at the flat ``(N, heads, L, L)`` indices ``dropped`` (default: drawn by
    :func:`dropped_positions`), the other weights scaled by ``1 / (1 − p)``."""
    n, length, _ = qkv.shape
    problems = n * heads
    if p > 0.0:
        if dropped is None:
            dropped = dropped_positions(problems * length * length, p, qkv.device)
        b, h, i, j = torch.unravel_index(dropped, (n, heads, length, length))
        dropped = (i * length + j) * problems + b * heads + h  # into the (i, j, b·heads + h) layout of the weights
    else:
        dropped = None
    return _BatchLastAttention.apply(qkv, heads, dropped, 1.0 / (1.0 - p))


def _outer(a: Tensor, b: Tensor, out: Tensor | None = None) -> Tensor:
    """``a`` (L, P), ``b`` (M, P) -> contiguous (L, M, P) ``a_i ⊙ b_j``, the first term of each sum below."""
    out = a.new_empty(a.shape[0], b.shape[0], a.shape[1]) if out is None else out
    return torch.mul(a.unsqueeze(1), b.unsqueeze(0), out=out)


def _dropped_weights(weights: Tensor, dropped: Tensor | None, scale: float) -> Tensor:
    return weights if dropped is None else scaled_with_zeros(weights, dropped, scale)


class _BatchLastAttention(torch.autograd.Function):
    """On ``(L, d, P)`` tensors, the ``P = N·heads`` problems innermost; weights ``A`` are ``(L, L, P)``.

    ``S_ij = Σ_c q_ic k_jc / √d``, ``A = softmax_j(S)``, ``O_i = Σ_j D(A)_ij v_j``; backward
    ``dv_j = Σ_i D(A)_ij dO_i``, ``dA = D'(Σ_c dO_ic v_jc)``, ``dS = A ⊙ (dA − Σ_j A ⊙ dA)``,
    ``dq_i = Σ_j dS_ij k_j / √d``, ``dk_j = Σ_i dS_ij q_i / √d``. ``qkv`` comes in and its gradient goes out in
    ``nn.MultiheadAttention``'s layout, one copy each way. The weights are kept for the backward pass, as PyTorch's
    explicit path keeps them (the fused kernel recomputes them): ``4·L²·P`` bytes a layer, 7 MB at T-JEPA's size.
    """

    @staticmethod
    def forward(ctx, qkv: Tensor, heads: int, dropped: Tensor | None, scale: float) -> Tensor:
        n, length, packed = qkv.shape
        width = packed // (3 * heads)
        q, k, v = qkv.view(n, length, 3, heads, width).permute(2, 1, 4, 0, 3).reshape(3, length, width, n * heads)
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
        ctx.heads, ctx.scale = heads, scale
        return out.view(length, width, n, heads).permute(2, 0, 3, 1).reshape(n, length, heads * width)

    @staticmethod
    def backward(ctx, grad: Tensor):
        q, k, v, weights, dropped = ctx.saved_tensors
        length, width, problems = q.shape
        heads = ctx.heads
        n = problems // heads
        grad = grad.view(n, length, heads, width).permute(1, 3, 0, 2).reshape(length, width, problems)
        kept = _dropped_weights(weights, dropped, ctx.scale)
        grad_qkv = grad.new_empty(3, length, width, problems)
        grad_v = _outer(kept[0], grad[0], out=grad_qkv[2])
        for i in range(1, length):
            grad_v.addcmul_(kept[i].unsqueeze(1), grad[i].unsqueeze(0))
        grad_weights = _outer(grad[:, 0], v[:, 0])
        for c in range(1, width):
            grad_weights.addcmul_(grad[:, c].unsqueeze(1), v[:, c].unsqueeze(0))
        grad_weights = _dropped_weights(grad_weights, dropped, ctx.scale)
        grad_scores = weights * (grad_weights - (weights * grad_weights).sum(dim=1, keepdim=True))
        grad_q = _outer(grad_scores[:, 0], k[0], out=grad_qkv[0])
        for j in range(1, length):
            grad_q.addcmul_(grad_scores[:, j].unsqueeze(1), k[j].unsqueeze(0))
        grad_k = _outer(grad_scores[0], q[0], out=grad_qkv[1])
        for i in range(1, length):
            grad_k.addcmul_(grad_scores[i].unsqueeze(1), q[i].unsqueeze(0))
        grad_q.mul_(width**-0.5)
        grad_qkv = grad_qkv.view(3, length, width, n, heads).permute(3, 1, 0, 4, 2).reshape(n, length, 3 * heads * width)
        return grad_qkv, None, None, None
