"""RankMe on embeddings with a known spectrum."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multissl.errors import EmptyDataError, NonFiniteDataError
from multissl.eval import rankme


def test_identity_has_full_rank_and_rank_one_has_one():
    assert rankme(np.eye(16)) == pytest.approx(16, rel=1e-4)
    rng = np.random.default_rng(0)
    rank_one = np.outer(rng.normal(size=100), rng.normal(size=16))
    assert rankme(rank_one) == pytest.approx(1.0, abs=1e-3)


def test_matches_the_entropy_of_a_known_spectrum():
    singular_values = np.array([4.0, 2.0, 1.0, 1.0])
    p = singular_values / singular_values.sum()
    rotation, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(50, 4)))
    embeddings = rotation * singular_values  # orthonormal columns scaled: singular values are exactly these
    assert rankme(embeddings, eps=0.0) == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-9)


def test_torch_equals_numpy_and_scale_does_not_matter():
    embeddings = np.random.default_rng(2).normal(size=(64, 8))
    value = rankme(embeddings)
    assert 1.0 < value < 8.0
    assert rankme(torch.from_numpy(embeddings).float()) == pytest.approx(value, rel=1e-5)
    assert rankme(embeddings * 1000.0) == pytest.approx(value, rel=1e-9)


def test_bad_input():
    with pytest.raises(EmptyDataError):
        rankme(np.zeros((0, 4)))
    with pytest.raises(NonFiniteDataError):
        rankme(torch.tensor([[1.0, float("nan")]]))
