"""Torch features against independent numpy implementations (transformers' audio_utils, scipy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_speech.features import FeatureConfig, FeatureExtractor, regression_deltas
from scipy.fft import dct
from scipy.signal import savgol_filter

pytest.importorskip("transformers", reason="the reference implementations are transformers' (pip install transformers)")
from transformers.audio_utils import mel_filter_bank, spectrogram, window_function  # noqa: E402
from transformers.models.speech_to_text.feature_extraction_speech_to_text import (  # noqa: E402
    Speech2TextFeatureExtractor,
)

from multissl.errors import InvalidDataError, RecipeError

TOLERANCE = 2e-3
"""Absolute tolerance on log-energies (float32 torch vs float64 numpy); observed differences are below 3e-4."""


def _features(wave: np.ndarray, **options) -> np.ndarray:
    features, _ = FeatureExtractor(FeatureConfig(**options))(torch.from_numpy(wave)[None])
    return features[0].numpy()


def _kaldi_fbank_reference(wave: np.ndarray, n_mels: int) -> np.ndarray:
    filters = mel_filter_bank(257, n_mels, 20, 8000, 16000, None, "kaldi", True)
    return spectrogram(wave * 32768, window_function(400, "povey", periodic=False), 400, 160, 512, power=2.0,
                       center=False, preemphasis=0.97, mel_filters=filters, log_mel="log",
                       mel_floor=1.192092955078125e-07, remove_dc_offset=True).T


def test_logmel_matches_transformers_numpy_spectrogram(tone):
    wave = tone(0.7, f0=180.0)
    filters = mel_filter_bank(201, 80, 0, 8000, 16000, None, "htk")
    expected = spectrogram(wave, window_function(400, "hann"), 400, 160, 400, power=2.0, center=False,
                           mel_filters=filters, log_mel="log", mel_floor=1e-10).T
    np.testing.assert_allclose(_features(wave, kind="logmel", cmvn="none"), expected, atol=TOLERANCE)


def test_kaldi_fbank_matches_the_speech2text_numpy_extractor(tone):
    wave = tone(0.6, f0=250.0)
    extractor = Speech2TextFeatureExtractor(feature_size=80, num_mel_bins=80, do_ceptral_normalize=False)
    expected = extractor(wave, sampling_rate=16000, return_tensors="np")["input_features"][0]
    ours = _features(wave, kind="fbank", cmvn="none")
    np.testing.assert_allclose(ours, _kaldi_fbank_reference(wave, 80), atol=TOLERANCE)
    if expected.shape == ours.shape:  # the numpy path (torchaudio absent)
        np.testing.assert_allclose(ours, expected, atol=TOLERANCE)


def test_utterance_cmvn_matches_speech2text(tone):
    wave = tone(0.6, f0=250.0)
    raw = _features(wave, kind="fbank", cmvn="none")
    expected = Speech2TextFeatureExtractor.utterance_cmvn(raw.copy(), len(raw))
    np.testing.assert_allclose(_features(wave, kind="fbank", cmvn="utterance"), expected, atol=5e-3)


def test_mfcc_is_liftered_orthonormal_dct_of_the_kaldi_fbank(tone):
    wave = tone(0.5, f0=140.0)
    fbank = _kaldi_fbank_reference(wave, 23)
    lifter = 1 + 11 * np.sin(np.pi * np.arange(13) / 22)
    expected = dct(fbank, type=2, norm="ortho", axis=1)[:, :13] * lifter
    np.testing.assert_allclose(_features(wave, kind="mfcc", n_mels=23, cmvn="none"), expected, atol=5e-3)


def test_deltas_equal_savitzky_golay_first_derivative_with_edge_repeat():
    x = np.random.default_rng(0).normal(size=(37, 5)).astype(np.float32)
    expected = savgol_filter(x, 5, 1, deriv=1, axis=0, mode="nearest")
    ours = regression_deltas(torch.from_numpy(x)[None], torch.tensor([37]))[0].numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)


def test_mfcc_with_deltas_has_39_dims_and_second_order_is_delta_of_delta(tone):
    wave = tone(0.5)
    full = _features(wave, kind="mfcc", n_mels=23, deltas=2, cmvn="none")
    assert full.shape[1] == 39 == FeatureConfig(kind="mfcc", n_mels=23, deltas=2).dim
    first = savgol_filter(full[:, :13], 5, 1, deriv=1, axis=0, mode="nearest")
    np.testing.assert_allclose(full[:, 13:26], first, atol=1e-3)
    np.testing.assert_allclose(full[:, 26:], savgol_filter(first, 5, 1, deriv=1, axis=0, mode="nearest"), atol=1e-3)


@pytest.mark.parametrize("kind", ["logmel", "fbank", "mfcc"])
def test_a_padded_batch_gives_each_clip_its_own_features(tone, kind):
    short, long = tone(0.31, f0=200.0), tone(0.77, f0=300.0)
    extractor = FeatureExtractor(FeatureConfig(kind=kind, deltas=2, n_mels=23 if kind == "mfcc" else 80))
    batch = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(short), torch.from_numpy(long)], batch_first=True)
    features, frames = extractor(batch, torch.tensor([len(short), len(long)]))
    alone, alone_frames = extractor(torch.from_numpy(short)[None])
    assert frames.tolist() == [alone_frames.item(), 1 + (len(long) - 400) // 160]
    np.testing.assert_allclose(features[0, : frames[0]], alone[0], atol=1e-4)
    assert (features[0, frames[0]:] == 0).all()


def test_silence_and_single_frame_clips_give_finite_features():
    extractor = FeatureExtractor(FeatureConfig(kind="logmel", target_db=-25.0))
    features, frames = extractor(torch.zeros(2, 400), torch.tensor([400, 400]))
    assert frames.tolist() == [1, 1] and torch.isfinite(features).all()


def test_bad_options_and_inputs_are_explained():
    with pytest.raises(RecipeError, match="features must be one of"):
        FeatureConfig(kind="spectrogram")
    with pytest.raises(RecipeError, match="deltas"):
        FeatureConfig(deltas=3)
    with pytest.raises(InvalidDataError, match=r"\(N, S\)"):
        FeatureExtractor(FeatureConfig())(torch.zeros(3, dtype=torch.float32))
