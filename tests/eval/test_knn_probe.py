"""knn_probe: beats chance, k clipped to the training size, regression, standardisation, validation."""

from __future__ import annotations

import numpy as np
import pytest

from multissl.errors import InvalidDataError, RecipeError
from multissl.eval import knn_probe


def test_classification_beats_chance_by_far(breast_cancer, iris):
    report = knn_probe(*breast_cancer, standardize=True)
    assert set(report) == {"accuracy", "macro_f1"} and report["accuracy"] > 0.93
    assert knn_probe(*iris, k=5)["accuracy"] > 0.85


def test_k_is_clipped_to_the_training_size(iris):
    train_x, train_y, test_x, test_y = iris
    keep = np.concatenate([np.flatnonzero(train_y == 0)[:3], np.flatnonzero(train_y == 1)[:5]])
    report = knn_probe(train_x[keep], train_y[keep], test_x, test_y, k=500)
    assert report["accuracy"] == pytest.approx(np.mean(test_y == 1))  # all 8 neighbours vote: always class 1


def test_standardising_helps_features_in_mixed_units(breast_cancer):
    plain = knn_probe(*breast_cancer, metric="euclidean")
    scaled = knn_probe(*breast_cancer, metric="euclidean", standardize=True)
    assert scaled["accuracy"] > plain["accuracy"]


def test_regression(linear_regression):
    report = knn_probe(*linear_regression, k=5, metric="euclidean")
    assert set(report) == {"rmse", "mae", "r2"} and report["r2"] > 0.5


def test_validation(iris):
    train_x, train_y, test_x, test_y = iris
    with pytest.raises(RecipeError):
        knn_probe(*iris, k=0)
    with pytest.raises(InvalidDataError, match="one label per sample"):
        knn_probe(train_x, train_y, test_x, test_y[:3])
    with pytest.raises(InvalidDataError, match="missing"):
        knn_probe(train_x, train_y, test_x, np.where(test_y == 2, np.nan, test_y))
