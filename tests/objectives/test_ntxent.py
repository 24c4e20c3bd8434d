import pytest
import torch
import torch.nn.functional as F

from multissl.errors import InvalidDataError
from multissl.objectives import NTXent


def reference_ntxent(z1, z2, temperature):
    """SimCLR's loss as usually written: 2N x 2N similarities, self-similarity masked out."""
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=-1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(logits, targets)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0])
def test_matches_the_reference_value_and_gradients(temperature):
    z1, z2 = torch.randn(6, 4, requires_grad=True), torch.randn(6, 4, requires_grad=True)
    loss, logs = NTXent(temperature)(z1, z2)
    grads = torch.autograd.grad(loss, (z1, z2))
    expected = reference_ntxent(z1, z2, temperature)
    expected_grads = torch.autograd.grad(expected, (z1, z2))
    torch.testing.assert_close(loss, expected)
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad)
    assert set(logs) == {"loss", "accuracy", "positive_cosine"} and not logs["loss"].requires_grad


def test_identical_views_are_recognised():
    z = torch.eye(4)  # orthogonal samples, each identical in its two views
    loss, logs = NTXent(temperature=1.0)(z, z.clone())
    e = torch.tensor(1.0).exp()
    # positive cos 1; 2N - 2 = 6 negatives with cos 0
    assert loss.item() == pytest.approx(-torch.log(e / (e + 6)).item(), abs=1e-6)
    assert logs["accuracy"].item() == 1.0 and logs["positive_cosine"].item() == pytest.approx(1.0)


def test_inputs_are_not_mutated():
    z1, z2 = torch.randn(3, 2), torch.randn(3, 2)
    copies = z1.clone(), z2.clone()
    NTXent()(z1, z2)
    assert torch.equal(z1, copies[0]) and torch.equal(z2, copies[1])


@pytest.mark.parametrize(
    ("z1", "z2"), [(torch.randn(4, 3), torch.randn(5, 3)), (torch.randn(4, 3, 1), torch.randn(4, 3, 1))]
)
def test_bad_shapes_are_reported(z1, z2):
    with pytest.raises(InvalidDataError, match=r"\(N, D\)"):
        NTXent()(z1, z2)
