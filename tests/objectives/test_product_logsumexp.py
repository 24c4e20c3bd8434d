import pytest
import torch

from multissl.objectives import product_logsumexp as module
from multissl.objectives.product_logsumexp import product_logsumexp


def plain(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    logits = a @ b.T
    return logits.logsumexp(1), logits.detach().amax(1)


@pytest.mark.parametrize(("n", "k", "block_elements"), [(5, 13, 10), (1, 7, 1), (4, 3, 2**18), (6, 12, 24)])
def test_values_and_gradients_match_the_plain_computation(monkeypatch, n, k, block_elements):
    """Blocks that split K unevenly, one column per block, one block for all of K, blocks of exactly K / 3."""
    monkeypatch.setattr(module, "BLOCK_ELEMENTS", block_elements)
    a, b = torch.randn(n, 4, dtype=torch.float64) * 3, torch.randn(k, 4, dtype=torch.float64)
    upstream = torch.rand(n, dtype=torch.float64)
    results = []
    for function in (product_logsumexp, plain):
        a_, b_ = a.clone().requires_grad_(), b.clone().requires_grad_()
        lse, largest = function(a_, b_)
        (lse * upstream).sum().backward()
        results.append((lse.detach(), largest, a_.grad, b_.grad))
    for ours, reference in zip(*results, strict=True):
        torch.testing.assert_close(ours, reference)


def test_negatives_given_as_a_transposed_view(monkeypatch):
    """A non-contiguous ``b`` gets a contiguous gradient written block by block, equal to the plain one."""
    monkeypatch.setattr(module, "BLOCK_ELEMENTS", 12)
    a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(4, 10, dtype=torch.float64).T.requires_grad_()
    product_logsumexp(a, b)[0].sum().backward()
    a_, b_ = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    plain(a_, b_)[0].sum().backward()
    torch.testing.assert_close(b.grad, b_.grad)
    torch.testing.assert_close(a.grad, a_.grad)


def test_large_logits_do_not_overflow():
    """The online maximum keeps exp() finite where e^{s} alone would overflow float32."""
    a, b = torch.full((2, 1), 30.0), torch.tensor([[4.0], [3.0], [-2.0]])
    lse, largest = product_logsumexp(a, b)
    torch.testing.assert_close(lse, torch.logsumexp(a @ b.T, 1))
    assert torch.isfinite(lse).all() and largest.tolist() == [120.0, 120.0]


def test_gradient_only_where_asked():
    a, b = torch.randn(3, 4, requires_grad=True), torch.randn(8, 4)
    product_logsumexp(a, b)[0].sum().backward()
    assert a.grad is not None and b.grad is None
    assert not product_logsumexp(a, b)[1].requires_grad


def test_gradcheck_in_float64(monkeypatch):
    monkeypatch.setattr(module, "BLOCK_ELEMENTS", 8)
    a = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(9, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: product_logsumexp(a, b)[0], (a, b))


def test_autocast_takes_the_plain_path(monkeypatch):
    """Under CPU autocast the block loop would multiply in bfloat16: the plain product and logsumexp run instead."""

    def refuse(*args):
        raise AssertionError("the block loop ran under autocast")

    monkeypatch.setattr(module._ProductLogSumExp, "apply", refuse)
    a, b = torch.randn(3, 4), torch.randn(5, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lse, largest = product_logsumexp(a, b)
    logits = (a.bfloat16() @ b.bfloat16().T).float()
    torch.testing.assert_close(lse.float(), logits.logsumexp(1), atol=1e-2, rtol=1e-2)
    torch.testing.assert_close(largest.float(), logits.amax(1), atol=1e-2, rtol=1e-2)
