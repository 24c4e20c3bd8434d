import pytest
import torch

from multissl.errors import InvalidDataError
from multissl.objectives import BYOLLoss


def test_two_minus_two_cosine_averaged_over_samples():
    prediction = torch.tensor([[1.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
    target = torch.tensor([[2.0, 0.0], [0.0, -1.0], [1.0, 0.0]])
    loss, logs = BYOLLoss()(prediction, target)
    cosines = torch.tensor([1.0, -1.0, 2**-0.5])
    assert loss.item() == pytest.approx((2 - 2 * cosines).mean().item())
    assert logs["cosine"].item() == pytest.approx(cosines.mean().item())


def test_no_gradient_reaches_the_target_and_shapes_are_checked():
    prediction, target = torch.randn(4, 3, requires_grad=True), torch.randn(4, 3, requires_grad=True)
    BYOLLoss()(prediction, target)[0].backward()
    assert prediction.grad is not None and target.grad is None
    with pytest.raises(InvalidDataError, match="same shape"):
        BYOLLoss()(torch.randn(4, 3), torch.randn(4, 2))
