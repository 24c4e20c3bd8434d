"""Batches bounded by duration; the modality's padding, crops and order."""

from __future__ import annotations

import numpy as np
import torch
from multissl_speech.batching import DurationBatchSampler
from multissl_speech.modality import Speech, SpeechOptions


def test_duration_batches_respect_the_bound_and_cover_every_clip_once():
    durations = np.random.default_rng(0).uniform(0.2, 3.0, 80)
    for shuffle in (True, False):
        batches = list(DurationBatchSampler(durations, 8.0, 16, shuffle=shuffle))
        assert sorted(i for b in batches for i in b) == list(range(80))
        assert all(len(b) * durations[b].max() <= 8.0 and len(b) <= 16 for b in batches)


def test_evaluation_batches_keep_input_order_and_training_order_changes_per_epoch():
    durations = np.random.default_rng(1).uniform(0.2, 3.0, 40)
    assert [i for b in DurationBatchSampler(durations, 6.0, 8, shuffle=False) for i in b] == list(range(40))
    sampler = DurationBatchSampler(durations, 6.0, 8, shuffle=True, seed=3)
    first = list(sampler)
    assert list(sampler) == first
    sampler.set_epoch(1)
    assert list(sampler) != first and sorted(map(tuple, sampler)) == sorted(map(tuple, first))


def test_a_clip_longer_than_the_bound_forms_its_own_batch():
    assert list(DurationBatchSampler([1.0, 9.0, 1.0], 4.0, 8, shuffle=False)) == [[0], [1], [2]]


def test_modality_batches_are_padded_with_lengths_and_cropped(tone):
    modality = Speech(SpeechOptions(max_seconds=0.5, max_batch_seconds=2.0))
    raw = modality.load({"audio": [tone(0.3), tone(0.9), tone(0.4)], "sample_rate": 16000})
    modality.fit(raw)
    loader = modality.dataloader(modality.dataset(raw), batch_size=8, shuffle=False, drop_last=False, num_workers=0, seed=0)
    batch = next(iter(loader))
    assert batch["num_samples"].tolist() == [4800, 8000, 6400]
    assert batch["waveform"].shape == (3, 8000) and (batch["waveform"][0, 4800:] == 0).all()
    np.testing.assert_array_equal(batch["waveform"][1].numpy(), raw.waveforms[1][:8000])  # leading window
    train = modality.dataloader(modality.dataset(raw), batch_size=8, shuffle=True, drop_last=False, num_workers=0, seed=0)
    cropped = next(iter(train))
    assert cropped["num_samples"].max() == 8000 and torch.isfinite(cropped["waveform"]).all()
