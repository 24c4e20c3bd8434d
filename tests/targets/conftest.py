"""Fixtures for the target tests: well-separated blobs split into two parts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs


@pytest.fixture(scope="module")
def blobs():
    """(features float32 (1200, 6), true cluster ids): 4 tight, far-apart clusters."""
    features, clusters = make_blobs(n_samples=1200, n_features=6, centers=4, cluster_std=0.3, center_box=(-20, 20), random_state=0)
    return features.astype(np.float32), clusters
