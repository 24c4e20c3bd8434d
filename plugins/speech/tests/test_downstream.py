"""Downstream tasks on the shared data (skipped where absent) and the weighted-layer probe."""

from __future__ import annotations

import numpy as np
from multissl_speech.downstream import (
    fsdd_tasks,
    librispeech_speaker_task,
    weighted_layer_probe,
)


def test_fsdd_official_split_and_librispeech_speakers(speech_data):
    digit, speaker = fsdd_tasks(speech_data / "fsdd" / "recordings")
    assert (len(digit.train_paths), len(digit.test_paths)) == (2700, 300)
    assert all(int(p.rsplit("_", 1)[1].split(".")[0]) < 5 for p in digit.test_paths)
    assert sorted(set(digit.test_labels)) == [str(d) for d in range(10)] and len(set(speaker.train_labels)) == 6
    libri = librispeech_speaker_task(speech_data / "librispeech_subset" / "librispeech_test-other")
    assert (len(libri.train_paths), len(libri.test_paths)) == (50, 50)
    assert sorted(set(libri.train_labels)) == sorted(set(libri.test_labels)) and len(set(libri.test_labels)) == 10


def test_the_weighted_layer_probe_finds_the_informative_layer():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    x = rng.normal(size=(300, 3, 8)).astype(np.float32)
    x[:, 2, 0] += 3 * labels  # only layer 2 carries the label
    result = weighted_layer_probe(x[:200], labels[:200], x[200:], labels[200:], steps=100, lr=0.05)
    assert result["accuracy"] > 0.9 and np.argmax(result["layer_weights"]) == 2
