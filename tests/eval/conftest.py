"""Fixtures for the evaluator tests: bundled scikit-learn data sets, split once."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.model_selection import train_test_split


def _split(features, labels):
    train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.3, random_state=0, stratify=labels)
    return train_x, train_y, test_x, test_y


@pytest.fixture(scope="session")
def breast_cancer():
    """(train_x, train_y, test_x, test_y): 569 × 30, binary, majority class 63 %."""
    features, labels = load_breast_cancer(return_X_y=True)
    return _split(features, labels)


@pytest.fixture(scope="session")
def iris():
    """(train_x, train_y, test_x, test_y): 150 × 4, three balanced classes."""
    features, labels = load_iris(return_X_y=True)
    return _split(features, labels)


@pytest.fixture(scope="session")
def linear_regression():
    """(train_x, train_y, test_x, test_y) with y = x·w + N(0, 0.1²) on 300 × 10 Gaussian features."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(300, 10))
    target = features @ rng.normal(size=10) + 0.1 * rng.normal(size=300)
    return features[:200], target[:200], features[200:], target[200:]
