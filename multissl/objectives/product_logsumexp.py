"""``log Σ_k exp(a_i · b_k)`` over many rows ``b_k`` without the (N, K) matrix: block-wise, recomputed backward.

The denominator of a contrast against a large shared set of negatives (a MoCo queue, or every node of a
catalogue as in SGL, Wu et al. 2021) is ``lse_i = log Σ_k e^{s_ik}`` with ``s = a bᵀ``. Written as
``(a @ b.T).logsumexp(1)``, autograd keeps the (N, K) logits and makes about ten passes over them in
main memory (max, subtract, exp, sum; then subtract, exp and multiply again in the backward). Here the
logits are made ``block`` columns at a time (a block fits in the CPU cache), reduced with the online
log-sum-exp (Milakov & Gimelshein 2018: ``m' = max(m, max_k s_ik)``, ``Σ' = Σ e^{m - m'} + Σ_k e^{s_ik - m'}``)
and dropped; the backward recomputes each block and uses the softmax ``p_ik = e^{s_ik - lse_i}``:
``∂a_i = g_i Σ_k p_ik b_k``, ``∂b_k = Σ_i g_i p_ik a_i`` (the same recompute-instead-of-store trade as
FlashAttention, Dao et al. 2022). Written here because PyTorch has no fused op for it on CPU.
"""

from __future__ import annotations

import torch

BLOCK_ELEMENTS = 2**18
"""Logits per block (1 MiB in float32, a core's L2 cache)."""


def product_logsumexp(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log Σ_k exp(a_i · b_k), max_k a_i · b_k)`` for a (N, D) and b (K, D), K ≥ 1; the max carries no gradient.

    Block-wise on CPU; on accelerators and under autocast the plain ``(a @ b.T).logsumexp(1)`` (fused kernels,
    autocast's float32 reductions).
    """
    if a.device.type != "cpu" or torch.is_autocast_enabled(a.device.type):
        return plain_product_logsumexp(a, b)
    return _ProductLogSumExp.apply(a, b, max(1, BLOCK_ELEMENTS // max(a.shape[0], 1)))


def plain_product_logsumexp(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The same from the whole (N, K) logits ``a @ b.T``, which autograd keeps for the backward."""
    logits = a @ b.T
    return logits.logsumexp(1), logits.detach().amax(1)


class _ProductLogSumExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: torch.Tensor, b: torch.Tensor, block: int):
        running_max = a.new_full((a.shape[0],), float("-inf"))
        running_sum = a.new_zeros(a.shape[0])
        for start in range(0, b.shape[0], block):
            logits = a @ b[start:start + block].T
            new_max = torch.maximum(running_max, logits.amax(1))
            running_sum = running_sum * (running_max - new_max).exp() + logits.sub_(new_max[:, None]).exp_().sum(1)
            running_max = new_max
        lse = running_max + running_sum.log()
        ctx.save_for_backward(a, b, lse)
        ctx.block = block
        ctx.mark_non_differentiable(running_max)
        return lse, running_max

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_lse: torch.Tensor, _grad_max: torch.Tensor):
        a, b, lse = ctx.saved_tensors
        grad_a = torch.zeros_like(a) if ctx.needs_input_grad[0] else None
        grad_b = b.new_empty(b.shape) if ctx.needs_input_grad[1] else None  # contiguous: its row blocks are mm outputs
        for start in range(0, b.shape[0], ctx.block):
            rows = b[start:start + ctx.block]
            weights = (a @ rows.T).sub_(lse[:, None]).exp_().mul_(grad_lse[:, None])
            if grad_a is not None:
                grad_a.addmm_(weights, rows)
            if grad_b is not None:
                torch.mm(weights.T, a, out=grad_b[start:start + ctx.block])
        return grad_a, grad_b, None
