"""Files are indexed from their headers and decoded when a batch needs them; global CMVN and the feature cache
read a corpus one batch at a time."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
from multissl_speech.clips import AudioFile, Clips
from multissl_speech.feature_cache import CachedFeatureDataset
from multissl_speech.features import FeatureConfig, FeatureExtractor
from multissl_speech.frame_statistics import FrameStatistics
from multissl_speech.modality import Speech, SpeechOptions

from multissl.errors import InvalidDataError


def test_files_are_indexed_without_decoding_and_decode_as_the_header_said(wav_dir, monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded while indexing")
    with monkeypatch.context() as patch:
        patch.setattr(sf, "read", no_decoding)
        raw = Speech().load(wav_dir)
    assert isinstance(raw.waveforms, Clips) and all(isinstance(i, AudioFile) for i in raw.waveforms.items)
    decoded = list(raw.waveforms)  # 8 kHz files resampled to 16 kHz, the stereo one mixed down
    assert [len(w) for w in decoded] == raw.waveforms.lengths.tolist() == [4800, 6400, 8000, 9600, 11200, 12800]
    np.testing.assert_allclose(raw.durations, [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    assert all(w.dtype == np.float32 and w.ndim == 1 for w in decoded)
    assert raw.waveforms[2:4].lengths.tolist() == [8000, 9600] and len(raw.waveforms[-1]) == 12800


def test_arrays_stay_in_memory(tone):
    wave = tone(0.5)
    raw = Speech().load({"audio": [wave], "sample_rate": 16000})
    assert np.shares_memory(raw.waveforms[0], raw.waveforms.items[0])
    np.testing.assert_array_equal(raw.waveforms[0], wave)


def test_a_file_that_fails_to_decode_at_batch_time_names_itself_and_the_strict_rule(tmp_path, tone):
    good, broken = tmp_path / "good.flac", tmp_path / "broken.flac"
    sf.write(good, tone(1.0), 16000)
    sf.write(broken, tone(2.0), 16000)
    body = bytearray(broken.read_bytes())  # the header stays readable, the frames after it are noise
    body[len(body) // 3:] = np.random.default_rng(0).integers(0, 256, len(body) - len(body) // 3, dtype=np.uint8).tobytes()
    broken.write_bytes(bytes(body))
    modality = Speech(SpeechOptions(max_batch_seconds=8.0))
    raw = modality.load([good, broken])
    modality.fit(raw)
    assert len(raw) == 2 and not raw.skipped
    loader = modality.dataloader(modality.dataset(raw), batch_size=4, shuffle=True, drop_last=False, num_workers=0, seed=0)
    with pytest.raises(InvalidDataError, match=r"broken\.flac.*when a batch needed it.*data\.strict"):
        list(loader)


def test_a_file_removed_after_indexing_raises_when_read(tmp_path, tone):
    path = tmp_path / "gone.wav"
    sf.write(path, tone(0.5), 16000)
    raw = Speech().load([path])
    path.unlink()
    with pytest.raises(InvalidDataError, match="gone.wav"):
        raw.waveforms[0]


def test_global_statistics_accumulated_by_batch_match_numpy():
    frames = np.random.default_rng(0).normal(3.0, 2.0, (1000, 5))
    statistics = FrameStatistics(5)
    for chunk in np.array_split(frames, [1, 7, 300, 300, 999]):
        statistics.update(chunk)
    np.testing.assert_allclose(statistics.mean, frames.mean(0))
    np.testing.assert_allclose(statistics.variance, frames.var(0))
    assert statistics.count == 1000


def test_global_cmvn_from_files_matches_the_statistics_of_all_frames(wav_dir):
    modality = Speech(SpeechOptions(cmvn="global"))
    raw = modality.load(wav_dir)
    modality.fit(raw)
    reference = Speech(SpeechOptions(cmvn="none"))
    raw_none = reference.load(wav_dir)
    reference.fit(raw_none)
    frames = np.concatenate([_features(reference, w) for w in raw_none.waveforms])
    np.testing.assert_allclose(modality.global_mean, frames.mean(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(modality.global_std, frames.std(0), rtol=1e-4, atol=1e-4)


def _features(modality, wave):
    features, _ = FeatureExtractor(modality.feature_config())(torch.from_numpy(wave)[None])
    return features[0].numpy()


def test_the_feature_cache_keys_files_by_path_size_and_time_and_computes_each_once(wav_dir, tmp_path):
    raw = Speech().load(wav_dir)
    config = FeatureConfig()
    first = CachedFeatureDataset(raw.waveforms, config, tmp_path / "cache")
    assert first.computed == 6 and CachedFeatureDataset(raw.waveforms, config, tmp_path / "cache").computed == 0
    assert [len(first[i]["features"]) for i in range(6)] == first.num_frames
    clip = wav_dir / "clip0.wav"
    sf.write(clip, np.zeros(4800, dtype=np.float32), 16000)
    assert CachedFeatureDataset(Speech().load(wav_dir).waveforms, config, tmp_path / "cache").computed == 1
