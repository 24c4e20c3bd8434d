import math

import pytest
import torch
import torch.nn.functional as F

from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives import MaskedClusterPrediction


def test_cross_entropy_on_masked_frames_only():
    logits = torch.randn(2, 5, 4, requires_grad=True)
    codes = torch.randint(0, 4, (2, 5))
    mask = torch.tensor([[True, False, True, True, False], [False, False, True, False, False]])
    loss, logs = MaskedClusterPrediction()(logits, codes, mask)
    torch.testing.assert_close(loss, F.cross_entropy(logits[mask], codes[mask]))
    accuracy = (logits[mask].argmax(-1) == codes[mask]).float().mean()
    torch.testing.assert_close(logs["masked_accuracy"], accuracy)
    loss.backward()
    assert torch.all(logits.grad[~mask] == 0) and torch.all(logits.grad[mask] != 0)


def test_hand_checked_uniform_logits_and_unmasked_weight():
    logits = torch.zeros(1, 4, 3)
    codes = torch.tensor([[0, 1, 2, 0]])
    mask = torch.tensor([[True, True, False, False]])
    loss, logs = MaskedClusterPrediction(unmasked_weight=0.5)(logits, codes, mask)
    assert loss.item() == pytest.approx(1.5 * math.log(3))
    assert logs["masked_loss"].item() == pytest.approx(math.log(3))
    assert logs["unmasked_loss"].item() == pytest.approx(math.log(3))


def test_padding_frames_are_ignored_even_with_invalid_codes():
    logits = torch.randn(2, 4, 3)
    codes = torch.tensor([[0, 1, 2, -100], [2, 2, -100, -100]])
    valid = codes >= 0
    mask = torch.tensor([[True, False, True, True], [True, True, True, False]])
    loss, _ = MaskedClusterPrediction(unmasked_weight=2.0)(logits, codes, mask, valid)
    masked, unmasked = mask & valid, ~mask & valid
    expected = F.cross_entropy(logits[masked], codes[masked]) + 2.0 * F.cross_entropy(logits[unmasked], codes[unmasked])
    torch.testing.assert_close(loss, expected)


def test_codes_outside_the_classes_on_scored_frames_are_refused():
    logits = torch.randn(1, 3, 4)
    mask = torch.tensor([[True, False, False]])
    with pytest.raises(InvalidDataError, match=r"outside \[0, 4\)"):
        MaskedClusterPrediction()(logits, torch.tensor([[4, 0, 0]]), mask)
    # an unscored frame may hold anything
    loss, _ = MaskedClusterPrediction()(logits, torch.tensor([[3, 7, -1]]), mask)
    assert torch.isfinite(loss)


def test_nothing_masked_gives_a_connected_zero_and_inputs_are_not_mutated():
    logits = torch.randn(2, 3, 4, requires_grad=True)
    codes, mask = torch.randint(0, 4, (2, 3)), torch.zeros(2, 3, dtype=torch.bool)
    copies = logits.detach().clone(), codes.clone()
    loss, logs = MaskedClusterPrediction()(logits, codes, mask)
    loss.backward()
    assert loss.item() == 0.0 and logs["masked_accuracy"].item() == 0.0
    assert torch.equal(logits.grad, torch.zeros_like(logits))
    assert torch.equal(logits.detach(), copies[0]) and torch.equal(codes, copies[1])


CODES, MASK = torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool)


@pytest.mark.parametrize(
    ("logits", "codes", "mask", "message"),
    [
        (torch.randn(2, 3), CODES, MASK, r"\(N, T, K\)"),
        (torch.randn(2, 3, 4), torch.zeros(2, 4, dtype=torch.long), MASK, "codes of shape"),
        (torch.randn(2, 3, 4), CODES, torch.ones(3, 2, dtype=torch.bool), "mask of shape"),
        (torch.randn(2, 3, 4), torch.zeros(2, 3), MASK, "integer codes"),
        (torch.randn(2, 3, 4), CODES, torch.ones(2, 3), "boolean mask"),
    ],
)
def test_bad_inputs_are_reported(logits, codes, mask, message):
    with pytest.raises(InvalidDataError, match=message):
        MaskedClusterPrediction()(logits, codes, mask)


def test_negative_unmasked_weight_is_refused():
    with pytest.raises(RecipeError, match="unmasked_weight"):
        MaskedClusterPrediction(unmasked_weight=-1.0)
