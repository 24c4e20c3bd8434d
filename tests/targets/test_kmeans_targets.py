"""KMeansTargets: recovers clusters, one codebook for every split, torch == numpy, saved state, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from sklearn.metrics import adjusted_rand_score

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError
from multissl.targets import KMeansTargets
from multissl.targets.kmeans_targets import _sample_rows


def test_recovers_well_separated_blobs(blobs):
    features, clusters = blobs
    targets = KMeansTargets(4, n_init=3).fit(features)
    assert adjusted_rand_score(clusters, targets.predict(features)) == 1.0
    assert targets.cluster_centers.shape == (4, 6)
    assert targets.inertia_ > 0


def test_one_codebook_applied_to_both_splits_matches_sklearn(blobs):
    features, _ = blobs
    train, validation = features[:800], features[800:]
    targets = KMeansTargets(4, n_init=3, fit_fraction=0.5).fit(train)
    for split in (train, validation):
        np.testing.assert_array_equal(targets.predict(split), targets.kmeans_.predict(split))
    rng = np.random.default_rng(1)
    noisy = rng.normal(size=(3000, 6)).astype(np.float32)  # no cluster structure: many near-ties
    spread = KMeansTargets(16, n_init=2).fit(noisy)
    assert (spread.predict(noisy) == spread.kmeans_.predict(noisy)).mean() > 0.999


def test_torch_path_equals_numpy_path_with_any_leading_shape(blobs):
    features, _ = blobs
    targets = KMeansTargets(4, n_init=3).fit(features)
    expected = targets.predict(features)
    for dtype in (torch.float32, torch.float64):
        codes = targets.predict(torch.from_numpy(features).to(dtype).reshape(20, 60, 6), chunk_size=7)
        assert isinstance(codes, torch.Tensor) and codes.dtype == torch.int64 and codes.shape == (20, 60)
        np.testing.assert_array_equal(codes.reshape(-1).numpy(), expected)
    assert targets.predict(features[:0]).shape == (0,)


def test_state_dict_round_trip_gives_identical_codes(blobs):
    features, _ = blobs
    targets = KMeansTargets(4, n_init=3, seed=3).fit(features)
    buffer = io.BytesIO()
    torch.save(targets.state_dict(), buffer)
    buffer.seek(0)
    restored = KMeansTargets(2)
    restored.load_state_dict(torch.load(buffer, weights_only=True))
    assert restored.n_clusters == 4 and restored.seed == 3 and restored.inertia_ == targets.inertia_
    np.testing.assert_array_equal(restored.predict(features), targets.predict(features))
    np.testing.assert_array_equal(restored.cluster_centers, targets.cluster_centers)


def test_chunks_give_the_same_codebook_as_one_array(blobs):
    features, _ = blobs
    whole = KMeansTargets(4, n_init=3, fit_fraction=0.3).fit(features)
    chunked = KMeansTargets(4, n_init=3, fit_fraction=0.3).fit(torch.from_numpy(c) for c in np.array_split(features, 37))
    np.testing.assert_array_equal(whole.cluster_centers, chunked.cluster_centers)


def test_sample_holds_the_fraction_or_at_least_the_minimum():
    rows = np.arange(20000, dtype=np.float32).reshape(-1, 1)
    sample, total = _sample_rows(rows, 0.1, 100, np.random.default_rng(0))
    assert total == 20000 and 1800 < len(sample) < 2200
    assert len(np.unique(sample)) == len(sample) and np.isin(sample, rows).all()
    small, _ = _sample_rows(np.array_split(rows, 500), 0.001, 500, np.random.default_rng(0))
    assert len(small) == 500 and len(np.unique(small)) == 500
    everything, _ = _sample_rows(rows[:50], 0.1, 500, np.random.default_rng(0))
    assert len(everything) == 50


def test_errors():
    with pytest.raises(InvalidDataError, match="before fit"):
        KMeansTargets(3).predict(np.zeros((2, 2)))
    with pytest.raises(InvalidDataError, match="3 feature rows for 5 clusters"):
        KMeansTargets(5).fit(np.zeros((3, 2)))
    with pytest.raises(EmptyDataError):
        KMeansTargets(2).fit([])
    bad = np.ones((50, 2))
    bad[7, 1] = np.nan
    with pytest.raises(NonFiniteDataError):
        KMeansTargets(2).fit(bad)
    with pytest.raises(NonFiniteDataError):
        KMeansTargets(2).fit([np.ones((5, 2)), bad])
    fitted = KMeansTargets(2, n_init=1).fit(np.random.default_rng(0).normal(size=(40, 2)))
    with pytest.raises(InvalidDataError, match="2-dimensional"):
        fitted.predict(np.zeros((4, 3)))
    with pytest.raises(NonFiniteDataError):
        fitted.predict(torch.tensor([[0.0, float("inf")]]))
    with pytest.raises(RecipeError):
        KMeansTargets(0)
    with pytest.raises(RecipeError):
        KMeansTargets(4, fit_fraction=0.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_codes_come_back_on_the_features_device(blobs):
    features, _ = blobs
    targets = KMeansTargets(4, n_init=3).fit(features)
    codes = targets.predict(torch.from_numpy(features).cuda())
    assert codes.device.type == "cuda"
    np.testing.assert_array_equal(codes.cpu().numpy(), targets.predict(features))
