import pytest
import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives import MaskedReconstruction


def test_hand_checked_l1_and_l2_on_masked_frames():
    prediction = torch.tensor([[[1.0, 2.0], [3.0, 4.0]], [[0.0, 0.0], [9.0, 9.0]]])
    target = torch.tensor([[[0.0, 0.0], [3.0, 1.0]], [[2.0, 2.0], [0.0, 0.0]]])
    frames = torch.tensor([[True, True], [True, False]])  # the 9s are not masked
    l1, logs = MaskedReconstruction("l1")(prediction, target, frames)
    assert l1.item() == pytest.approx((1 + 2 + 0 + 3 + 2 + 2) / 6)
    assert logs["masked_fraction"].item() == pytest.approx(0.75)
    l2, _ = MaskedReconstruction("l2")(prediction, target, frames)
    assert l2.item() == pytest.approx((1 + 4 + 0 + 9 + 4 + 4) / 6)


def test_element_mask_and_two_dimensional_inputs():
    prediction, target = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    elements = torch.rand(3, 4, 5) < 0.5
    loss, _ = MaskedReconstruction("l2")(prediction, target, elements)
    torch.testing.assert_close(loss, (prediction - target)[elements].pow(2).mean())
    rows = torch.tensor([True, False, True])
    loss, logs = MaskedReconstruction("l1")(prediction[:, 0], target[:, 0], rows)
    torch.testing.assert_close(loss, (prediction[rows, 0] - target[rows, 0]).abs().mean())
    assert logs["masked_fraction"].item() == pytest.approx(2 / 3)


def test_nothing_masked_gives_a_connected_zero():
    prediction = torch.randn(2, 3, 4, requires_grad=True)
    loss, logs = MaskedReconstruction()(prediction, torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.bool))
    assert loss.item() == 0.0 and logs["masked_fraction"].item() == 0.0
    loss.backward()
    assert torch.equal(prediction.grad, torch.zeros_like(prediction))


def test_gradient_reaches_the_prediction_only_and_inputs_are_not_mutated():
    prediction = torch.randn(2, 3, 4, requires_grad=True)
    target = torch.randn(2, 3, 4, requires_grad=True)
    mask = torch.tensor([[True, False, True], [False, False, True]])
    copies = prediction.detach().clone(), target.detach().clone(), mask.clone()
    MaskedReconstruction()(prediction, target, mask)[0].backward()
    assert target.grad is None
    assert torch.all(prediction.grad[~mask] == 0) and torch.all(prediction.grad[mask] != 0)
    assert torch.equal(prediction.detach(), copies[0]) and torch.equal(target.detach(), copies[1])
    assert torch.equal(mask, copies[2])


@pytest.mark.parametrize(
    ("prediction", "target", "mask", "message"),
    [
        (torch.randn(2, 3, 4), torch.randn(2, 3, 5), torch.ones(2, 3, dtype=torch.bool), "same shape"),
        (torch.randn(4), torch.randn(4), torch.ones(4, dtype=torch.bool), "same shape"),
        (torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(3, 2, dtype=torch.bool), "leading dims"),
        (torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(2, 3), "boolean mask"),
    ],
)
def test_bad_inputs_are_reported(prediction, target, mask, message):
    with pytest.raises(InvalidDataError, match=message):
        MaskedReconstruction()(prediction, target, mask)


def test_unknown_loss_is_refused():
    with pytest.raises(RecipeError, match="'l1' or 'l2'"):
        MaskedReconstruction("huber")
