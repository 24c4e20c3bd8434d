import pytest
import torch
import torch.nn.functional as F

from multissl.errors import RecipeError
from multissl.objectives import ScaledCosineError


def test_row_mask_averages_scaled_cosine_error_over_masked_rows():
    prediction, target = torch.randn(5, 4), torch.randn(5, 4)
    rows = torch.tensor([True, False, True, True, False])
    loss, logs = ScaledCosineError(gamma=3)(prediction, target, rows)
    expected = (1 - F.cosine_similarity(prediction[rows], target[rows], dim=1)).pow(3).mean()
    torch.testing.assert_close(loss, expected)
    assert logs["masked_fraction"].item() == pytest.approx(0.6)


def test_value_mask_compares_each_row_on_its_masked_values_only():
    prediction = torch.tensor([[1.0, 5.0, 0.0], [2.0, 2.0, 2.0]], requires_grad=True)
    target = torch.tensor([[1.0, -9.0, 0.0], [1.0, 1.0, 1.0]])
    values = torch.tensor([[True, False, False], [False, False, False]])  # row 1 has nothing masked
    loss, _ = ScaledCosineError()(prediction, target, values)
    assert loss.item() == pytest.approx(0.0)  # row 0 agrees on its masked value; the unmasked -9 is not scored
    loss.backward()
    assert torch.isfinite(prediction.grad).all() and (prediction.grad[1] == 0).all()


def test_sequences_rows_are_the_last_dimension_and_gamma_is_checked():
    prediction, target = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    frames = torch.tensor([[True, False, True], [False, False, True]])
    loss, _ = ScaledCosineError(gamma=1)(prediction, target, frames)
    torch.testing.assert_close(loss, (1 - F.cosine_similarity(prediction[frames], target[frames], dim=-1)).mean())
    with pytest.raises(RecipeError, match="gamma"):
        ScaledCosineError(gamma=0.5)
