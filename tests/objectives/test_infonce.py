import math

import pytest
import torch
import torch.nn.functional as F

from multissl.errors import InvalidDataError, RecipeError
from multissl.objectives import InfoNCE


def reference_infonce(query, keys, positive_weights, negative_weights, temperature):
    """Plain loops over anchors and candidates, in float64; anchors without a positive are left out."""
    query, keys = F.normalize(query.double(), dim=-1), F.normalize(keys.double(), dim=-1)
    losses = []
    for i in range(query.shape[0]):
        positive = negative = 0.0
        for j in range(keys.shape[0]):
            for v in range(keys.shape[1]):
                term = math.exp(float(query[i] @ keys[j, v]) / temperature)
                if j == i:
                    positive += float(positive_weights[i, v]) * term
                else:
                    negative += float(negative_weights[i, v]) * term
        if positive > 0:
            losses.append(-math.log(positive / (positive + negative)))
    return sum(losses) / len(losses)


def test_single_key_is_cross_entropy_over_the_batch():
    query, keys = torch.randn(6, 5), torch.randn(6, 5)
    loss, logs = InfoNCE(temperature=0.2)(query, keys)
    logits = F.normalize(query, dim=-1) @ F.normalize(keys, dim=-1).T / 0.2
    torch.testing.assert_close(loss, F.cross_entropy(logits, torch.arange(6)))
    assert logs["loss"] == loss.detach() and not logs["loss"].requires_grad


def test_weighted_views_match_the_reference():
    query, keys = torch.randn(4, 3), torch.randn(4, 3, 3)
    positive = torch.tensor([[1.0, 0.5, 0.0], [2.0, 0.0, 0.3], [0.1, 0.1, 0.1], [1.0, 1.0, 1.0]])
    negative = torch.tensor([[0.5, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 2.0, 1.0], [1.0, 0.2, 3.0]])
    loss, _ = InfoNCE(temperature=0.3)(query, keys, positive_weights=positive, negative_weights=negative)
    assert loss.item() == pytest.approx(reference_infonce(query, keys, positive, negative, 0.3), abs=1e-5)


def test_hand_checked_value_with_two_positives():
    query = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    keys = torch.tensor([[[1.0, 0.0], [2.0, 0.0]], [[0.0, 1.0], [0.0, 3.0]]])
    loss, logs = InfoNCE(temperature=1.0)(query, keys)
    # each anchor: positives e^1 + e^1, negatives e^0 + e^0
    assert loss.item() == pytest.approx(math.log(1 + math.exp(-1)), abs=1e-6)
    assert logs["accuracy"].item() == 1.0 and logs["positive_cosine"].item() == pytest.approx(1.0)


def test_view_weights_per_anchor_equal_shared_view_weights():
    query = torch.randn(5, 4, requires_grad=True)
    keys = torch.randn(5, 2, 4)
    weights = torch.tensor([1.0, 0.25])
    objective = InfoNCE()
    shared, _ = objective(query, keys, positive_weights=weights, negative_weights=weights)
    (shared_grad,) = torch.autograd.grad(shared, query)
    per_anchor, _ = objective(query, keys, positive_weights=weights.expand(5, 2), negative_weights=weights.expand(5, 2))
    (per_anchor_grad,) = torch.autograd.grad(per_anchor, query)
    torch.testing.assert_close(shared, per_anchor)
    torch.testing.assert_close(shared_grad, per_anchor_grad)


def test_zero_positive_weight_removes_that_view_of_the_same_sample():
    query, keys = torch.randn(1, 4), torch.randn(1, 2, 4)
    objective = InfoNCE()
    loss, _ = objective(query, keys, positive_weights=torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx(0.0, abs=1e-6)  # the only candidate left is the positive
    keys[0, 1] = 100 * torch.randn(4)
    assert objective(query, keys, positive_weights=torch.tensor([1.0, 0.0]))[0].item() == pytest.approx(0.0, abs=1e-6)
    query3, keys3 = torch.randn(3, 4), torch.randn(3, 2, 4)
    positive = torch.tensor([1.0, 0.0])
    expected = reference_infonce(query3, keys3, positive.expand(3, 2), torch.ones(3, 2), 0.1)
    assert objective(query3, keys3, positive_weights=positive)[0].item() == pytest.approx(expected, abs=1e-4)


def test_anchors_without_a_positive_are_left_out_without_nan():
    query, keys = torch.randn(3, 4, requires_grad=True), torch.randn(3, 2, 4, requires_grad=True)
    positive = torch.tensor([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    loss, _ = InfoNCE()(query, keys, positive_weights=positive)
    expected = reference_infonce(query.detach(), keys.detach(), positive, torch.ones(3, 2), 0.1)
    assert loss.item() == pytest.approx(expected, abs=1e-4)
    loss.backward()
    assert torch.isfinite(query.grad).all() and torch.isfinite(keys.grad).all()
    assert torch.all(query.grad[1] == 0)  # anchor 1 is left out ...
    assert torch.all(keys.grad[1, 0] != 0)  # ... but its keys stay negatives of the others
    nothing, logs = InfoNCE()(query, keys, positive_weights=torch.zeros(2))
    assert nothing.item() == 0.0 and nothing.requires_grad and logs["accuracy"].item() == 0.0


def test_gradients_flow_and_inputs_are_not_mutated():
    query, keys = torch.randn(4, 3, requires_grad=True), torch.randn(4, 2, 3, requires_grad=True)
    before = query.detach().clone(), keys.detach().clone()
    loss, logs = InfoNCE()(query, keys, positive_weights=torch.tensor([1.0, 0.5]))
    loss.backward()
    assert query.grad.abs().sum() > 0 and keys.grad.abs().sum() > 0
    torch.testing.assert_close(query.detach(), before[0], rtol=0, atol=0)
    torch.testing.assert_close(keys.detach(), before[1], rtol=0, atol=0)
    assert all(not value.requires_grad and value.dim() == 0 for value in logs.values())


def test_accuracy_and_positive_cosine_for_identical_views():
    z = torch.randn(6, 8)
    _, logs = InfoNCE(temperature=0.05)(z, z.clone())
    assert logs["accuracy"].item() == 1.0
    assert logs["positive_cosine"].item() == pytest.approx(1.0)


def test_per_pair_negative_weights_match_a_loop_and_broadcast_view_weights():
    query, keys = torch.randn(4, 3), torch.randn(4, 2, 3)
    pairs = torch.rand(4, 4, 2, generator=torch.Generator().manual_seed(1))
    pairs[0, 2] = 0.0  # anchor 0 does not see row 2 as a negative
    loss, _ = InfoNCE(temperature=0.3)(query, keys, negative_weights=pairs)
    query_n, keys_n = F.normalize(query.double(), dim=-1), F.normalize(keys.double(), dim=-1)
    expected = 0.0
    for i in range(4):
        positive = sum(math.exp(float(query_n[i] @ keys_n[i, v]) / 0.3) for v in range(2))
        negative = sum(
            float(pairs[i, j, v]) * math.exp(float(query_n[i] @ keys_n[j, v]) / 0.3)
            for j in range(4) if j != i for v in range(2)
        )
        expected += -math.log(positive / (positive + negative)) / 4
    assert loss.item() == pytest.approx(expected, abs=1e-5)
    views = torch.tensor([0.5, 2.0])
    shared, _ = InfoNCE()(query, keys, negative_weights=views)
    torch.testing.assert_close(InfoNCE()(query, keys, negative_weights=views.expand(4, 4, 2))[0], shared)
    with pytest.raises(InvalidDataError, match=r"per-pair negative_weights of shape \(N, M, V\)=\(4, 4, 2\)"):
        InfoNCE()(query, keys, negative_weights=torch.ones(4, 3, 2))
    with pytest.raises(InvalidDataError, match="non-negative"):
        InfoNCE()(query, keys, negative_weights=-torch.ones(4, 4, 2))


def test_shared_negatives_give_the_contrast_against_a_whole_catalogue():
    """Anchors = some rows of a catalogue, shared negatives = the other rows: cross-entropy over every row."""
    first, second = torch.randn(9, 4), torch.randn(9, 4)
    picked, rest = torch.tensor([7, 1, 4]), torch.tensor([0, 2, 3, 5, 6, 8])
    loss, logs = InfoNCE(temperature=0.2)(first[picked], second[picked], negatives=second[rest])
    logits = F.normalize(first[picked], dim=-1) @ F.normalize(second, dim=-1).T / 0.2
    torch.testing.assert_close(loss, F.cross_entropy(logits, picked))
    assert logs["accuracy"].item() == pytest.approx((logits.argmax(1) == picked).float().mean().item())
    torch.testing.assert_close(InfoNCE()(first[:3], second[:3], negatives=second[:0])[0], InfoNCE()(first[:3], second[:3])[0])
    with pytest.raises(InvalidDataError, match=r"negatives of shape \(K, D\) with D=4"):
        InfoNCE()(first[picked], second[picked], negatives=torch.randn(6, 5))


def test_anchor_weights_give_a_weighted_mean_equal_to_repeating_anchors():
    """A distinct anchor of weight c counts as c copies of its row (each copy not a negative of the others)."""
    first, second = torch.randn(9, 4), torch.randn(9, 4)
    picked, rest, counts = torch.tensor([7, 1, 4]), torch.tensor([0, 2, 3, 5, 6, 8]), torch.tensor([3.0, 1.0, 2.0])
    loss, logs = InfoNCE(temperature=0.2)(first[picked], second[picked], negatives=second[rest], anchor_weights=counts)
    rows = picked.repeat_interleave(counts.long())
    logits = F.normalize(first[rows], dim=-1) @ F.normalize(second, dim=-1).T / 0.2
    torch.testing.assert_close(loss, F.cross_entropy(logits, rows))
    assert logs["accuracy"].item() == pytest.approx((logits.argmax(1) == rows).float().mean().item())
    torch.testing.assert_close(InfoNCE()(first, second, anchor_weights=torch.ones(9))[0], InfoNCE()(first, second)[0])
    with pytest.raises(InvalidDataError, match=r"anchor_weights of shape \(N,\)=\(9,\)"):
        InfoNCE()(first, second, anchor_weights=torch.ones(9, 1))
    with pytest.raises(InvalidDataError, match="anchor_weights must be finite and non-negative"):
        InfoNCE()(first, second, anchor_weights=-torch.ones(9))


@pytest.mark.parametrize(
    ("query", "keys", "weights", "message"),
    [
        (torch.randn(4, 3, 2), torch.randn(4, 2), None, "query of shape"),
        (torch.randn(4, 3), torch.randn(5, 3), None, "keys of shape"),
        (torch.randn(4, 3), torch.randn(4, 2, 5), None, "keys of shape"),
        (torch.randn(4, 3), torch.randn(4, 2, 3), torch.ones(3), "positive_weights of shape"),
        (torch.randn(4, 3), torch.randn(4, 2, 3), torch.tensor([1.0, -1.0]), "non-negative"),
    ],
)
def test_bad_shapes_and_weights_are_reported(query, keys, weights, message):
    with pytest.raises(InvalidDataError, match=message):
        InfoNCE()(query, keys, positive_weights=weights)


def test_temperature_must_be_positive():
    with pytest.raises(RecipeError, match="temperature"):
        InfoNCE(temperature=0.0)
