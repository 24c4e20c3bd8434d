"""Batches bounded by duration; the modality's padding, crops and order."""

from __future__ import annotations

import numpy as np
import pytest
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


@pytest.mark.parametrize("max_batch_seconds", [None, 1.5])
def test_a_resumed_epoch_goes_on_with_the_batches_the_interrupted_one_had_not_reached(tone, max_batch_seconds):
    modality = Speech(SpeechOptions(max_batch_seconds=max_batch_seconds))
    raw = modality.load({"audio": [tone(0.1 + 0.05 * i) for i in range(12)], "sample_rate": 16000})  # lengths name clips
    modality.fit(raw)

    def loader():
        built = modality.dataloader(modality.dataset(raw), batch_size=2, shuffle=True, drop_last=False, num_workers=0, seed=0)
        built.sampler.set_epoch(4)
        return built

    expected = [batch["num_samples"].tolist() for batch in loader()]
    interrupted = loader()
    taken = iter(interrupted)
    next(taken), next(taken)
    resumed = loader()
    resumed.load_state_dict(interrupted.state_dict())
    assert [batch["num_samples"].tolist() for batch in resumed] == expected[2:] and len(expected) > 3


def shares(sampler, world, monkeypatch):
    """The batches each of ``world`` processes takes from ``sampler`` in its current epoch."""
    from multissl import distributed
    out = []
    for rank in range(world):
        monkeypatch.setattr(distributed, "world_size", lambda: world)
        monkeypatch.setattr(distributed, "rank", lambda r=rank: r)
        out.append((list(sampler), len(sampler)))
    return out


@pytest.mark.parametrize("world", [2, 3])
def test_processes_share_every_clip_once_in_equally_many_steps(world, monkeypatch):
    durations = np.random.default_rng(2).uniform(0.2, 3.0, 53)
    sampler = DurationBatchSampler(durations, 5.0, 8, shuffle=True, seed=1)
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        parts = shares(sampler, world, monkeypatch)
        assert len({len(batches) for batches, _ in parts}) == 1 and all(len(b) == n for b, n in parts)
        assert sorted(i for batches, _ in parts for b in batches for i in b) == list(range(53))
        assert all(len(b) * durations[b].max() <= 5.0 for batches, _ in parts for b in batches)
    sampler.set_epoch(0)
    assert shares(sampler, world, monkeypatch) != parts  # another order each epoch


def test_single_clip_batches_that_cannot_split_evenly_repeat_the_first(monkeypatch):
    sampler = DurationBatchSampler([9.0, 9.0, 9.0], 4.0, 8, shuffle=True)
    parts = shares(sampler, 2, monkeypatch)
    assert [n for _, n in parts] == [2, 2] and sorted(i for b, _ in parts for batch in b for i in batch) == [0, 0, 1, 2]


def test_evaluation_batches_are_not_shared_out(monkeypatch):
    sampler = DurationBatchSampler(np.ones(10), 3.0, 8, shuffle=False)
    assert all([i for b in batches for i in b] == list(range(10)) for batches, _ in shares(sampler, 2, monkeypatch))
