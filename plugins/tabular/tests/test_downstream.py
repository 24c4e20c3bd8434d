"""The downstream MLP head: learns, keeps the epoch best on validation, reports in the target's units."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from multissl_tabular.downstream import MLPHeadOptions, fit_mlp_head

from multissl.errors import InvalidDataError

FAST = MLPHeadOptions(hidden=(32,), max_epochs=15, patience=4, batch_size=64, lr=1e-2)


def _blobs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 1, (n, 5)) + 3 * np.eye(3, 5)[y]
    return x.astype(np.float32), np.array(["a", "b", "c"])[y]


def test_classification_head_learns_and_keeps_its_best_validation_epoch():
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = _blobs(400, 0), _blobs(200, 1), _blobs(200, 2)
    head = fit_mlp_head(train_x, train_y, val_x, val_y, seed=0, options=FAST)
    assert head.task == "classification"
    assert head.score(test_x, test_y)["accuracy"] > 0.9
    assert head.validation_score(val_x, val_y) == head.best_validation  # the kept weights are the best epoch's
    assert set(head.predict(test_x)) <= {"a", "b", "c"}


def test_regression_head_reports_rmse_in_target_units():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (600, 3)).astype(np.float32)
    y = 1000 + 100 * x[:, 0] - 50 * x[:, 1]
    head = fit_mlp_head(x[:400], y[:400], x[400:500], y[400:500], task="regression", options=FAST)
    rmse = head.score(x[500:], y[500:])["rmse"]
    assert rmse < 0.3 * y.std()


def test_same_seed_same_head():
    (train_x, train_y), (val_x, val_y) = _blobs(200, 0), _blobs(100, 1)
    options = MLPHeadOptions(hidden=(16,), max_epochs=3, batch_size=128)
    first, again = (fit_mlp_head(train_x, train_y, val_x, val_y, seed=3, options=options) for _ in range(2))
    np.testing.assert_array_equal(first.predict(val_x), again.predict(val_x))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((4, 2)), np.array([0, 1, 0]), np.zeros((2, 2)), np.array([0, 1])), "one label per row"),
        ((np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.zeros((2, 3)), np.array([0, 1])), "same features"),
        ((np.zeros((4, 2)), np.array([1, 1, 1, 1]), np.zeros((2, 2)), np.array([1, 1])), "single class"),
        ((np.full((4, 2), np.nan), np.array([0, 1, 0, 1]), np.zeros((2, 2)), np.array([0, 1])), "NaN|finite"),
    ],
    ids=["label-count", "feature-count", "one-class", "nan-features"],
)
def test_bad_input_is_named(args, message):
    with pytest.raises(InvalidDataError, match=message):
        fit_mlp_head(*args, options=FAST)


def test_an_extreme_test_row_cannot_give_an_arbitrary_prediction():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (300, 2)).astype(np.float32)
    y = 3 * x[:, 0]
    head = fit_mlp_head(x[:200], y[:200], x[200:], y[200:], task="regression", options=FAST)
    extreme = head.predict(np.array([[1e6, -1e6]], dtype=np.float32))
    assert y[:200].min() <= extreme[0] <= y[:200].max()


def test_per_token_projection_applies_each_tokens_own_linear():
    from multissl_tabular.downstream import PerTokenLinear

    layer = PerTokenLinear(tokens=3, width=4, out=2)
    x = torch.randn(5, 3 * 4)
    expected = torch.cat([x[:, 4 * t : 4 * t + 4] @ layer.weight[t] + layer.bias[t] for t in range(3)], dim=1)
    torch.testing.assert_close(layer(x), expected)


def test_head_with_token_projection_learns():
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = _blobs(400, 0), _blobs(200, 1), _blobs(200, 2)
    tokens = [np.repeat(x, 2, axis=1) for x in (train_x, val_x, test_x)]  # 5 tokens of width 2
    options = dataclasses.replace(FAST, token_width=2, token_projection=1)
    head = fit_mlp_head(tokens[0], train_y, tokens[1], val_y, seed=0, options=options)
    assert head.network[0].weight.shape == (5, 2, 1)
    assert head.score(tokens[2], test_y)["accuracy"] > 0.9


def test_token_projection_without_a_token_width_is_named():
    train_x, train_y = _blobs(40, 0)
    with pytest.raises(InvalidDataError, match="token_width"):
        fit_mlp_head(train_x, train_y, train_x, train_y, options=dataclasses.replace(FAST, token_projection=1))
