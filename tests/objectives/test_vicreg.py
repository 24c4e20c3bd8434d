import pytest
import torch
import torch.nn.functional as F

from multissl.errors import InvalidDataError
from multissl.objectives import VICReg

SPREAD = torch.tensor([[2.0, 2.0], [2.0, -2.0], [-2.0, 2.0], [-2.0, -2.0]])  # std > 1, uncorrelated


def reference_vicreg(x, y, sim=25.0, std=25.0, cov=1.0):
    """facebookresearch/vicreg's forward, without the gather."""
    n, d = x.shape
    repr_loss = F.mse_loss(x, y)
    x, y = x - x.mean(dim=0), y - y.mean(dim=0)
    std_x, std_y = torch.sqrt(x.var(dim=0) + 0.0001), torch.sqrt(y.var(dim=0) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
    cov_x, cov_y = (x.T @ x) / (n - 1), (y.T @ y) / (n - 1)
    off = ~torch.eye(d, dtype=torch.bool)
    cov_loss = cov_x[off].pow(2).sum() / d + cov_y[off].pow(2).sum() / d
    return sim * repr_loss + std * std_loss + cov * cov_loss


def test_matches_the_reference_value_and_gradients():
    z1, z2 = torch.randn(8, 5, requires_grad=True), (0.3 * torch.randn(8, 5)).requires_grad_()
    loss, logs = VICReg(10.0, 20.0, 3.0)(z1, z2)
    expected = reference_vicreg(z1, z2, 10.0, 20.0, 3.0)
    torch.testing.assert_close(loss, expected)
    for grad, expected_grad in zip(torch.autograd.grad(loss, (z1, z2)), torch.autograd.grad(expected, (z1, z2))):
        torch.testing.assert_close(grad, expected_grad)
    combined = 10.0 * logs["invariance"] + 20.0 * logs["variance"] + 3.0 * logs["covariance"]
    torch.testing.assert_close(combined, logs["loss"])


def test_identical_spread_decorrelated_views_give_zero():
    loss, logs = VICReg()(SPREAD, SPREAD.clone())
    assert loss.item() == 0.0 and all(value.item() == 0.0 for value in logs.values())


def test_collapsed_views_pay_the_variance_term():
    collapsed = torch.ones(4, 3)
    loss, logs = VICReg()(collapsed, collapsed.clone())
    assert logs["variance"].item() == pytest.approx(1 - 1e-4**0.5)
    assert loss.item() == pytest.approx(25.0 * (1 - 1e-4**0.5))


def test_gradients_flow_and_inputs_are_not_mutated():
    z1, z2 = torch.randn(6, 3, requires_grad=True), torch.randn(6, 3, requires_grad=True)
    copies = z1.detach().clone(), z2.detach().clone()
    VICReg()(z1, z2)[0].backward()
    assert z1.grad.abs().sum() > 0 and z2.grad.abs().sum() > 0
    assert torch.equal(z1.detach(), copies[0]) and torch.equal(z2.detach(), copies[1])


@pytest.mark.parametrize(
    ("z1", "z2", "message"),
    [(torch.randn(4, 3), torch.randn(3, 3), r"\(N, D\)"), (torch.randn(1, 3), torch.randn(1, 3), "at least 2 samples")],
)
def test_bad_inputs_are_reported(z1, z2, message):
    with pytest.raises(InvalidDataError, match=message):
        VICReg()(z1, z2)
