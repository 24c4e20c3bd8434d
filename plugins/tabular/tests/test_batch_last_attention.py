"""Attention with the (sequence, head) pairs innermost: PyTorch's attention, values and gradients."""

from __future__ import annotations

import pytest
import torch
from multissl_tabular.batch_last_attention import batch_last_attention


@pytest.mark.parametrize("shape", [(3, 2, 5, 4), (2, 4, 1, 4), (1, 1, 7, 3), (4, 2, 16, 8)])
def test_batch_last_attention_equals_scaled_dot_product_attention(shape):
    torch.manual_seed(0)
    q, k, v = (torch.randn(*shape, dtype=torch.float64, requires_grad=True) for _ in range(3))
    got = batch_last_attention(q, k, v, 1.0)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v)
    assert got.shape == expected.shape and torch.allclose(got, expected)
    upstream = torch.randn(shape, dtype=torch.float64)
    for a, b in zip(torch.autograd.grad((got * upstream).sum(), (q, k, v)),
                    torch.autograd.grad((expected * upstream).sum(), (q, k, v)), strict=True):
        assert torch.allclose(a, b)


def test_batch_last_attention_drops_the_given_weights_and_rescales_the_rest():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 3, 4, 2, dtype=torch.float64, requires_grad=True) for _ in range(3))
    dropped = torch.tensor([1, 5, 6, 47, 95])  # flat (b, h, i, j) into (2, 3, 4, 4)
    mask = torch.ones(2 * 3 * 4 * 4, dtype=torch.float64)
    mask[dropped] = 0.0
    weights = torch.softmax(q @ k.transpose(-1, -2) / 2**0.5, dim=-1)
    expected = (weights * mask.view(2, 3, 4, 4) * 1.25) @ v
    got = batch_last_attention(q, k, v, 1.25, dropped)
    assert torch.allclose(got, expected)
    for a, b in zip(torch.autograd.grad(got.pow(2).sum(), (q, k, v)),
                    torch.autograd.grad(expected.pow(2).sum(), (q, k, v)), strict=True):
        assert torch.allclose(a, b)
