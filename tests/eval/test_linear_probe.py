"""linear_probe: beats chance on real data, regression path, task inference, label validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError
from multissl.eval import linear_probe


def test_classification_beats_chance_by_far(breast_cancer, iris):
    report = linear_probe(*breast_cancer)
    assert set(report) == {"accuracy", "macro_f1"}
    assert report["accuracy"] > 0.93 and report["macro_f1"] > 0.92  # chance: 0.63 accuracy
    train_x, train_y, test_x, test_y = iris
    report = linear_probe(torch.from_numpy(train_x).float(), torch.from_numpy(train_y), test_x, test_y)
    assert report["accuracy"] > 0.85  # chance: 0.33


def test_string_and_categorical_labels(iris):
    train_x, train_y, test_x, test_y = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    expected = linear_probe(*iris)
    as_strings = linear_probe(train_x, names[train_y], test_x, names[test_y])
    as_categories = linear_probe(train_x, pd.Series(names[train_y], dtype="category"), test_x, pd.Categorical(names[test_y]))
    assert as_strings == expected == as_categories


def test_regression_on_a_linear_target(linear_regression):
    report = linear_probe(*linear_regression)
    assert set(report) == {"rmse", "mae", "r2"}
    assert report["r2"] > 0.99 and report["rmse"] < 0.2 and report["mae"] < report["rmse"]


def test_task_inference_and_override(linear_regression, iris):
    train_x, train_y, test_x, test_y = iris
    assert "accuracy" in linear_probe(train_x, train_y.astype(float), test_x, test_y.astype(float))  # integral floats
    assert "r2" in linear_probe(*iris, task="regression")
    rx, ry, tx, ty = linear_regression
    binned = np.digitize(ry, [-1, 0, 1]), np.digitize(ty, [-1, 0, 1])
    assert "accuracy" in linear_probe(rx, binned[0], tx, binned[1])
    with pytest.raises(InvalidDataError, match="numeric labels"):
        linear_probe(rx, np.array(["a", "b"] * 100), tx, np.array(["a"] * 100), task="regression")
    with pytest.raises(RecipeError):
        linear_probe(*iris, task="clustering")


def test_label_validation(iris):
    train_x, train_y, test_x, test_y = iris
    with_missing = train_y.astype(float)
    with_missing[[3, 9]] = np.nan
    with pytest.raises(InvalidDataError, match="2 missing values .* drop those samples or fill"):
        linear_probe(train_x, with_missing, test_x, test_y)
    with pytest.raises(InvalidDataError, match="1 missing"):
        linear_probe(train_x, [None] + ["a"] * (len(train_y) - 1), test_x, test_y)
    with pytest.raises(InvalidDataError, match="one label per sample"):
        linear_probe(train_x, train_y[:-1], test_x, test_y)
    with pytest.raises(InvalidDataError, match="single class"):
        linear_probe(train_x, np.zeros_like(train_y), test_x, test_y)
    with pytest.raises(EmptyDataError):
        linear_probe(train_x[:0], train_y[:0], test_x, test_y)
    with pytest.raises(InvalidDataError, match="dimensions"):
        linear_probe(train_x, train_y, test_x[:, :2], test_y)
    bad = train_x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(NonFiniteDataError):
        linear_probe(bad, train_y, test_x, test_y)


def test_a_scale_shifted_embedding_gets_the_same_score(breast_cancer, linear_regression):
    for train_x, train_y, test_x, test_y in (breast_cancer, linear_regression):
        shifted = linear_probe(train_x * 1000 + 5, train_y, test_x * 1000 + 5, test_y)
        assert shifted == pytest.approx(linear_probe(train_x, train_y, test_x, test_y), abs=1e-6)
