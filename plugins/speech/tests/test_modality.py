"""The speech modality end to end: feature cache, global CMVN state, save/load, bad options."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_speech.frontend import Frontend, feature_config
from multissl_speech.modality import Speech, SpeechOptions

import multissl
from multissl.errors import InvalidDataError, RecipeError


def test_the_feature_cache_computes_once_and_matches_on_the_fly_features(tmp_path, tone):
    source = {"audio": [tone(0.4, f0=100.0 + 50 * i) for i in range(5)], "sample_rate": 16000}
    cached = Speech(SpeechOptions(feature_cache=str(tmp_path / "cache")))
    raw = cached.load(source)
    cached.fit(raw)
    first = cached.dataset(raw)
    assert first.computed == 5 and cached.dataset(raw).computed == 0
    plain = Speech(SpeechOptions())
    plain.fit(raw)
    batch = plain.collate([plain.dataset(raw)[i] for i in range(5)])
    on_the_fly, valid = Frontend(feature_config(plain.input_spec()))(batch)
    from_cache, cache_valid = Frontend(feature_config(cached.input_spec()))(cached.collate([first[i] for i in range(5)]))
    assert torch.equal(valid, cache_valid)
    torch.testing.assert_close(from_cache, on_the_fly, atol=1e-5, rtol=0)
    other = Speech(SpeechOptions(feature_cache=str(tmp_path / "cache"), n_mels=40))
    other.fit(raw)
    assert other.dataset(raw).computed == 5  # another configuration never reads stale features


def test_global_cmvn_is_fitted_saved_and_reapplied(tone, tiny_tera, quiet, tmp_path):
    source = {"audio": [tone(0.4, f0=100.0 + 30 * i, seed=i) for i in range(8)], "sample_rate": 16000}
    run = multissl.pretrain("speech", source, method="tera", max_epochs=1, batch_size=4, cmvn="global", **tiny_tera, **quiet)
    assert run.modality.global_mean.shape == (80,)
    run.save(tmp_path / "run")
    loaded = multissl.load(tmp_path / "run")
    np.testing.assert_array_equal(loaded.modality.global_std, run.modality.global_std)
    np.testing.assert_array_equal(loaded.embed(source), run.embed(source))


def test_tera_trains_on_cached_features_with_duration_batches(tone, tiny_tera, quiet, tmp_path):
    source = {"audio": [tone(0.3 + 0.05 * i, f0=120.0 + 20 * i) for i in range(10)], "sample_rate": 16000}
    run = multissl.pretrain("speech", source, method="tera", max_epochs=1, batch_size=8, feature_cache=str(tmp_path / "c"),
                            max_batch_seconds=1.5, **tiny_tera, **quiet)
    assert run.metrics["train"]["steps"] >= 2 and np.isfinite(run.embed(source)).all()


def test_bad_modality_options_are_explained(tone):
    with pytest.raises(RecipeError, match="features must be one of"):
        Speech(SpeechOptions(features="stft"))
    with pytest.raises(RecipeError, match="positive"):
        Speech(SpeechOptions(max_seconds=0))
    modality = Speech()
    with pytest.raises(InvalidDataError, match="not fitted"):
        modality.dataset(modality.load([(tone(0.3), 16000)]))


def test_silence_and_tiny_clips_give_finite_features():
    modality = Speech()
    raw = modality.load({"audio": [np.zeros(8000, dtype=np.float32), np.ones(50, dtype=np.float32)], "sample_rate": 16000})
    modality.fit(raw)
    features, valid = Frontend(feature_config(modality.input_spec()))(modality.collate([modality.dataset(raw)[i] for i in range(2)]))
    assert torch.isfinite(features).all() and valid.sum(1).tolist() == [48, 1]
