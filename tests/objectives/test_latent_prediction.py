import pytest
import torch
import torch.nn.functional as F

from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives import LatentPrediction


def test_mse_without_mask_is_the_plain_mean():
    prediction, target = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    loss, logs = LatentPrediction()(prediction, target)
    torch.testing.assert_close(loss, F.mse_loss(prediction, target))
    assert logs["loss"] == loss.detach()


def test_hand_checked_masked_mean():
    prediction = torch.tensor([[[1.0, 1.0], [5.0, 5.0]]])
    target = torch.tensor([[[0.0, 3.0], [0.0, 0.0]]])
    loss, _ = LatentPrediction()(prediction, target, torch.tensor([[True, False]]))
    assert loss.item() == pytest.approx((1 + 4) / 2)


def test_smooth_l1_with_beta_and_mask():
    prediction, target = torch.randn(4, 6, 3), torch.randn(4, 6, 3)
    mask = torch.rand(4, 6) < 0.5
    loss, _ = LatentPrediction("smooth_l1", beta=0.3)(prediction, target, mask)
    torch.testing.assert_close(loss, F.smooth_l1_loss(prediction[mask], target[mask], beta=0.3))


def test_target_gets_no_gradient_and_inputs_are_not_mutated():
    prediction, target = torch.randn(2, 3, requires_grad=True), torch.randn(2, 3, requires_grad=True)
    copies = prediction.detach().clone(), target.detach().clone()
    LatentPrediction()(prediction, target)[0].backward()
    assert target.grad is None and prediction.grad.abs().sum() > 0
    assert torch.equal(prediction.detach(), copies[0]) and torch.equal(target.detach(), copies[1])


def test_empty_selection_gives_a_connected_zero():
    prediction = torch.randn(2, 3, 4, requires_grad=True)
    loss, _ = LatentPrediction()(prediction, torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.bool))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(prediction.grad, torch.zeros_like(prediction))


@pytest.mark.parametrize(
    ("prediction", "target", "mask", "message"),
    [
        (torch.randn(2, 3, 4), torch.randn(2, 4, 4), None, "same shape"),
        (torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(2, 4, dtype=torch.bool), "leading dims"),
        (torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(2, 3, dtype=torch.long), "boolean mask"),
    ],
)
def test_bad_inputs_are_reported(prediction, target, mask, message):
    with pytest.raises(InvalidDataError, match=message):
        LatentPrediction()(prediction, target, mask)


@pytest.mark.parametrize(("options", "message"), [({"loss": "l1"}, "'mse' or 'smooth_l1'"), ({"beta": -1.0}, "beta")])
def test_bad_options_are_refused(options, message):
    with pytest.raises(RecipeError, match=message):
        LatentPrediction(**options)
