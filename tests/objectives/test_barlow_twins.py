import pytest
import torch

from multissl.errors import InvalidDataError
from multissl.objectives import BarlowTwins

UNCORRELATED = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])  # zero mean, orthogonal columns


def reference_barlow_twins(z1, z2, lambd):
    """The paper's pseudo-code: batch norm without affine parameters, then the cross-correlation."""
    bn = torch.nn.BatchNorm1d(z1.shape[1], affine=False)
    c = bn(z1).T @ bn(z2) / z1.shape[0]
    on_diag = (torch.diagonal(c) - 1).pow(2).sum()
    off_diag = (c - torch.diag(torch.diagonal(c))).pow(2).sum()
    return on_diag + lambd * off_diag


def test_matches_the_reference_value_and_gradients():
    z1, z2 = torch.randn(8, 5, requires_grad=True), torch.randn(8, 5, requires_grad=True)
    loss, logs = BarlowTwins(lambda_offdiag=0.1)(z1, z2)
    expected = reference_barlow_twins(z1, z2, 0.1)
    torch.testing.assert_close(loss, expected)
    for grad, expected_grad in zip(torch.autograd.grad(loss, (z1, z2)), torch.autograd.grad(expected, (z1, z2))):
        torch.testing.assert_close(grad, expected_grad)
    torch.testing.assert_close(logs["on_diagonal"] + 0.1 * logs["off_diagonal"], logs["loss"])


def test_identical_decorrelated_views_reach_the_minimum():
    loss, logs = BarlowTwins()(UNCORRELATED, 3 * UNCORRELATED + 1)
    assert loss.item() == pytest.approx(0.0, abs=1e-8)
    assert logs["off_diagonal"].item() == pytest.approx(0.0, abs=1e-12)


def test_opposite_views_give_minus_identity():
    loss, logs = BarlowTwins()(UNCORRELATED, -UNCORRELATED)
    assert logs["on_diagonal"].item() == pytest.approx(2 * 2**2, abs=1e-4)  # (1 - (-1))^2 per dimension
    assert loss.item() == pytest.approx(8.0, abs=1e-4)


def test_gradients_flow_and_inputs_are_not_mutated():
    z1, z2 = torch.randn(6, 3, requires_grad=True), torch.randn(6, 3, requires_grad=True)
    copies = z1.detach().clone(), z2.detach().clone()
    BarlowTwins()(z1, z2)[0].backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0
    assert torch.equal(z1.detach(), copies[0]) and torch.equal(z2.detach(), copies[1])


@pytest.mark.parametrize(
    ("z1", "z2", "message"),
    [
        (torch.randn(4, 3), torch.randn(4, 2), r"\(N, D\)"),
        (torch.randn(4), torch.randn(4), r"\(N, D\)"),
        (torch.randn(1, 3), torch.randn(1, 3), "at least 2 samples"),
    ],
)
def test_bad_inputs_are_reported(z1, z2, message):
    with pytest.raises(InvalidDataError, match=message):
        BarlowTwins()(z1, z2)
