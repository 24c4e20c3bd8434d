"""Reading audio: directories, lists, arrays with rates; resampling, mono mix-down and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from multissl_speech.audio import AudioSkipWarning, load_audio

from multissl.errors import EmptyDataError, InvalidDataError


def test_a_directory_is_read_recursively_resampled_and_mixed_down(wav_dir):
    audio = load_audio(wav_dir, 16000, min_samples=400)
    assert len(audio) == 6 and audio.skipped == []
    assert [n.rsplit("/", 1)[-1] for n in audio.names] == [f"clip{i}.wav" for i in range(6)]
    np.testing.assert_allclose(audio.durations, [0.3 + 0.1 * i for i in range(6)], atol=1e-3)
    assert all(w.dtype == np.float32 and w.ndim == 1 for w in audio.waveforms)


def test_resampling_keeps_the_pitch(tone):
    audio = load_audio([(tone(1.0, 8000, 300.0), 8000), (tone(1.0, 16000, 300.0), 16000)], 16000, min_samples=400)
    peaks = [np.argmax(np.abs(np.fft.rfft(w))) for w in audio.waveforms]  # 1 Hz bins for 1 s
    assert peaks == [300, 300]
    assert [len(w) for w in audio.waveforms] == [16000, 16000]


def test_stereo_is_averaged_to_mono(tmp_path, tone):
    left = tone(0.5)
    sf.write(tmp_path / "s.wav", np.stack([left, np.zeros_like(left)], axis=1), 16000, subtype="FLOAT")
    audio = load_audio(tmp_path / "s.wav", 16000, min_samples=400)
    np.testing.assert_allclose(audio.waveforms[0], left / 2, atol=1e-6)


def test_file_lists_and_dicts_with_labels(wav_dir, tone):
    (wav_dir / "list.txt").write_text("clip1.wav\n# a comment\nclip3.wav\n")
    assert len(load_audio(wav_dir / "list.txt", 16000, min_samples=400)) == 2
    audio = load_audio({"audio": [tone(0.4), tone(0.4, 8000)], "sample_rate": [16000, 8000], "labels": ["a", "b"]},
                       16000, min_samples=400)
    assert audio.labels.tolist() == ["a", "b"] and [len(w) for w in audio.waveforms] == [6400, 6400]


def test_undecodable_empty_and_nan_inputs_are_skipped_and_counted(wav_dir, tone):
    (wav_dir / "broken.wav").write_bytes(b"RIFF not really a wav")
    sf.write(wav_dir / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    nan = tone(0.3)
    nan[10] = np.nan
    sf.write(wav_dir / "nan.wav", nan, 16000, subtype="FLOAT")
    with pytest.warns(AudioSkipWarning, match="skipped 3 of 9"):
        audio = load_audio(wav_dir, 16000, min_samples=400)
    assert len(audio) == 6
    assert sorted(n.rsplit("/", 1)[-1] for n, _ in audio.skipped) == ["broken.wav", "empty.wav", "nan.wav"]
    assert any("NaN" in why for _, why in audio.skipped)
    with pytest.raises(InvalidDataError, match="broken.wav could not be decoded.*strict"):
        load_audio(wav_dir, 16000, min_samples=400, strict=True)


def test_labels_follow_the_kept_arrays(tone):
    bad = tone(0.3)
    bad[0] = np.inf
    with pytest.warns(AudioSkipWarning):
        audio = load_audio({"audio": [tone(0.3), bad, tone(0.3)], "sample_rate": 16000, "labels": [1, 2, 3]},
                           16000, min_samples=400)
    assert audio.labels.tolist() == [1, 3]


def test_clips_shorter_than_a_frame_are_zero_padded_to_one_frame():
    audio = load_audio([(np.ones(100, dtype=np.float32), 16000)], 16000, min_samples=400)
    assert len(audio.waveforms[0]) == 400 and audio.n_padded == 1


def test_what_cannot_be_read_is_explained(tmp_path):
    with pytest.raises(InvalidDataError, match="sample rate"):
        load_audio(np.zeros(1000), 16000, min_samples=400)
    with pytest.raises(InvalidDataError, match="does not exist"):
        load_audio(tmp_path / "missing.wav", 16000, min_samples=400)
    with pytest.raises(EmptyDataError, match="found no audio"):
        load_audio(tmp_path, 16000, min_samples=400)
    with pytest.raises(InvalidDataError, match="positive integer"):
        load_audio([(np.zeros(800), 0)], 16000, min_samples=400)
    with pytest.raises(InvalidDataError, match="one rate or one per array"):
        load_audio({"audio": [np.zeros(800)] * 2, "sample_rate": [16000]}, 16000, min_samples=400)
    with pytest.warns(AudioSkipWarning), pytest.raises(EmptyDataError, match="none of the 1"):
        load_audio([(np.zeros(0), 16000)], 16000, min_samples=400)


def test_ogg_and_flac_are_read(tmp_path, tone):
    sf.write(tmp_path / "a.ogg", tone(0.5), 16000, format="OGG", subtype="VORBIS")
    sf.write(tmp_path / "b.flac", tone(0.5, 8000), 8000)
    audio = load_audio(tmp_path, 16000, min_samples=400)
    assert len(audio) == 2 and all(abs(len(w) - 8000) < 200 for w in audio.waveforms)
