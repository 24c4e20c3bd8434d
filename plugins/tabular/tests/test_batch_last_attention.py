"""Attention with the (sequence, head) pairs innermost: PyTorch's attention, values and gradients."""

from __future__ import annotations

import pytest
import torch
from multissl_tabular.batch_last_attention import batch_last_attention, use_batch_last


def _unpacked(qkv: torch.Tensor, heads: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    n, length, packed = qkv.shape
    return qkv.view(n, length, 3, heads, packed // (3 * heads)).permute(2, 0, 3, 1, 4)


def _concatenated_heads(out: torch.Tensor) -> torch.Tensor:
    n, heads, length, width = out.shape
    return out.transpose(1, 2).reshape(n, length, heads * width)


@pytest.mark.parametrize(("n", "length", "heads", "width"), [(3, 5, 2, 4), (2, 1, 4, 4), (1, 7, 1, 3), (4, 16, 2, 8)])
def test_batch_last_attention_equals_scaled_dot_product_attention(n, length, heads, width):
    torch.manual_seed(0)
    qkv = torch.randn(n, length, 3 * heads * width, dtype=torch.float64, requires_grad=True)
    got = batch_last_attention(qkv, heads)
    expected = _concatenated_heads(torch.nn.functional.scaled_dot_product_attention(*_unpacked(qkv, heads)))
    assert got.shape == expected.shape == (n, length, heads * width) and torch.allclose(got, expected)
    upstream = torch.randn_like(got)
    (grad,) = torch.autograd.grad((got * upstream).sum(), qkv)
    (expected_grad,) = torch.autograd.grad((expected * upstream).sum(), qkv)
    assert torch.allclose(grad, expected_grad)


def test_batch_last_attention_drops_the_given_weights_and_rescales_the_rest():
    torch.manual_seed(0)
    qkv = torch.randn(2, 4, 3 * 3 * 2, dtype=torch.float64, requires_grad=True)
    dropped = torch.tensor([1, 5, 6, 47, 95])  # flat (n, head, i, j) into (2, 3, 4, 4)
    mask = torch.ones(2 * 3 * 4 * 4, dtype=torch.float64)
    mask[dropped] = 0.0
    q, k, v = _unpacked(qkv, 3)
    weights = torch.softmax(q @ k.transpose(-1, -2) / 2**0.5, dim=-1)
    expected = _concatenated_heads((weights * mask.view(2, 3, 4, 4) / 0.8) @ v)
    got = batch_last_attention(qkv, 3, 0.2, dropped)
    assert torch.allclose(got, expected)
    (grad,) = torch.autograd.grad(got.pow(2).sum(), qkv)
    assert torch.allclose(grad, torch.autograd.grad(expected.pow(2).sum(), qkv)[0])


def test_batch_last_attention_draws_a_share_p_of_dropped_weights():
    torch.manual_seed(0)
    qkv = torch.zeros(500, 4, 3 * 2 * 2)  # uniform weights 1/4, values 1 for a share of the heads
    qkv[..., 8:] = 1.0
    out = batch_last_attention(qkv, heads=2, p=0.1)
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)  # E[D(A)] = A: each output an unbiased mean of 1s
    undropped = torch.isclose(out, torch.tensor(1 / 0.9))  # rows with none of their 4 weights dropped
    assert undropped.float().mean().item() == pytest.approx(0.9**4, abs=0.03)


def test_use_batch_last_only_for_small_heads_on_cpu_without_autocast():
    assert use_batch_last(torch.empty(8, 10, 16), heads=4)  # head dim 4, 10 tokens
    assert not use_batch_last(torch.empty(8, 10, 64), heads=2)  # head dim 32
    assert not use_batch_last(torch.empty(8, 20, 16), heads=4)  # 20 tokens
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not use_batch_last(torch.empty(8, 10, 16), heads=4)
