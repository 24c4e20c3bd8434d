"""The sensor modality: windowing, labels by majority, normalisation round trip, input forms, named recordings
(bad input: test_bad_input.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_sensor.modality import Sensor, SensorOptions
from multissl_sensor.streams import gap_positions
from multissl_sensor.windows import majority_labels, window_starts

from multissl.errors import InvalidDataError


def _streams(length=100, devices=2, channels=5, seed=0):
    rng = np.random.default_rng(seed)
    return {f"d{i}": rng.normal(loc=i, scale=i + 1, size=(length, channels)).astype(np.float32) for i in range(devices)}


def test_windows_start_every_stride_and_cover_the_same_span_on_every_device():
    source = _streams(length=100)
    modality = Sensor(SensorOptions(window=20, stride=10))
    raw = modality.load(source)
    modality.fit(raw)
    dataset = modality.dataset(raw)
    assert len(dataset) == 9
    batch = modality.collate([dataset[i] for i in range(len(dataset))])
    assert batch["devices"].shape == (9, 2, 20, 5) and batch["x"].shape == (9, 20, 5)
    expected = (source["d1"][30:50] - modality.mean[1]) / modality.scale[1]
    np.testing.assert_allclose(batch["devices"][3, 1].numpy(), expected, rtol=1e-6)


def test_labels_per_window_by_majority_with_ties_to_the_smallest():
    labels = np.array([1, 1, 2, 2, 2, 3, 3, 3, 3, 1])
    np.testing.assert_array_equal(majority_labels(labels, np.array([0, 2, 5, 6]), 4), [1, 2, 3, 3])
    np.testing.assert_array_equal(majority_labels(np.array(["b", "a", "a", "b"]), np.array([0]), 4), ["a"])


def test_windows_touching_a_gap_are_dropped_and_counted():
    values = np.zeros((2, 50, 3), dtype=np.float32)
    values[1, 25, 2] = np.nan
    starts, dropped = window_starts(50, 10, 5, gaps=gap_positions(values))
    np.testing.assert_array_equal(starts, [0, 5, 10, 15, 30, 35, 40])  # 20 and 25 cover sample 25
    assert dropped == 2


def test_normalisation_is_fitted_on_training_data_and_survives_a_state_round_trip():
    train, test = _streams(seed=0), _streams(seed=1)
    modality = Sensor(SensorOptions(window=20, stride=20))
    modality.fit(modality.load(train))
    np.testing.assert_allclose(modality.mean, [train["d0"].mean(0), train["d1"].mean(0)], rtol=1e-5)
    restored = Sensor(SensorOptions(window=20, stride=20))
    restored.load_state_dict(modality.state_dict())
    np.testing.assert_array_equal(restored.transform(restored.load(test)), modality.transform(modality.load(test)))


def test_long_dataframe_and_npz_give_the_dict_streams(tmp_path):
    source = _streams(length=40)
    labels = np.arange(40) % 3
    frame = pd.concat(
        [pd.DataFrame(v, columns=[f"c{j}" for j in range(5)]).assign(device=k, labels=labels) for k, v in source.items()]
    )
    np.savez(tmp_path / "s.npz", **source, labels=labels)
    modality = Sensor(SensorOptions(window=10, stride=10))
    expected = modality.load({**source, "labels": labels})
    for form in (frame, tmp_path / "s.npz"):
        raw = modality.load(form)
        assert raw.devices == ["d0", "d1"]
        np.testing.assert_array_equal(raw.values, expected.values)
        np.testing.assert_array_equal(raw.labels, labels)


def test_anchor_and_device_selection():
    modality = Sensor(SensorOptions(window=20, stride=20, devices=["d2", "d0"], anchor="d0"))
    raw = modality.load(_streams(devices=3))
    modality.fit(raw)
    batch = modality.collate([modality.dataset(raw)[0]])
    assert raw.devices == ["d2", "d0"]
    assert int(batch["anchor"][0]) == 1
    assert (batch["x"] == batch["devices"][:, 1]).all()


def test_windows_never_cross_from_one_recording_to_the_next():
    first, second = _streams(length=45, seed=0), _streams(length=30, seed=1)
    first["labels"], second["labels"] = np.zeros(45), np.ones(30)
    modality = Sensor(SensorOptions(window=20, stride=10))
    raw = modality.load([first, second])
    np.testing.assert_array_equal(raw.recording_starts, [0, 45])
    modality.fit(raw)
    dataset = modality.dataset(raw)
    np.testing.assert_array_equal(dataset.starts, [0, 10, 20, 45, 55])
    np.testing.assert_array_equal(modality.labels(raw), [0, 0, 0, 1, 1])
    with pytest.raises(InvalidDataError, match="same devices and channels"):
        Sensor(SensorOptions(window=20, stride=10)).load([first, _streams(length=30, channels=3)])


def test_a_nan_run_drops_the_windows_it_touches_and_labels_stay_aligned():
    source = _streams(length=200)
    source["d1"][50:80, 1] = np.nan  # a 30-sample gap on one channel of one device
    source["labels"] = np.repeat(np.arange(4), 50)
    modality = Sensor(SensorOptions(window=20, stride=10))
    raw = modality.load(source)
    modality.fit(raw)
    dataset = modality.dataset(raw)
    assert modality.dropped_windows == 4  # windows starting at 40, 50, 60, 70 touch samples 50..79
    assert len(dataset) == len(modality.labels(raw)) == 19 - 4
    assert np.isfinite(modality.mean).all() and torch.isfinite(modality.transform(raw)[0]).all()
    assert not any(40 <= s <= 70 for s in dataset.starts)


def test_recordings_are_named_and_split_back_as_read():
    from multissl_sensor.streams import Recording

    first, second = _streams(length=45, seed=0), _streams(length=30, seed=1)
    first["labels"], second["labels"] = np.zeros(45), np.ones(30)
    modality = Sensor(SensorOptions(window=20, stride=10))
    raw = modality.load([Recording("s1", first), second])
    assert raw.recording_names == ["s1", "recording1"]
    parts = raw.recordings("labels")
    assert [p.name for p in parts] == ["s1", "recording1"]
    np.testing.assert_array_equal(parts[1].source["d1"], second["d1"])
    np.testing.assert_array_equal(parts[0].source["labels"], first["labels"])
    again = modality.load(parts)
    np.testing.assert_array_equal(again.values, raw.values)
    np.testing.assert_array_equal(again.recording_starts, raw.recording_starts)


def test_sample_ids_name_each_window_by_its_recording_and_start_and_index_run_embed():
    import multissl
    from multissl_sensor.streams import Recording

    first, second = _streams(length=60, seed=0), _streams(length=40, seed=1)
    first["d0"][25, 0] = np.nan  # drops the windows starting at 10 and 20
    modality = Sensor(SensorOptions(window=20, stride=10, label_key=None))
    raw = modality.load([Recording("s1", first), Recording("s2", second)])
    ids = modality.sample_ids(raw)
    assert ids == ["s1:0", "s1:30", "s1:40", "s2:0", "s2:10", "s2:20"]
    modality.fit(raw)
    assert len(ids) == len(modality.dataset(raw))
    run = multissl.pretrain("sensor", [Recording("s1", first), Recording("s2", second)], method="collossl",
                            window=20, stride=10, label_key=None, batch_size=4,
                            **{"trainer.max_steps": 1, "trainer.enable_progress_bar": False, "trainer.loggers": [],
                               "encoder_options": {"channels": [4], "kernel_sizes": [3]}})
    frame = run.embed([Recording("s2", second)], as_frame=True)
    assert list(frame.index) == ["s2:0", "s2:10", "s2:20"] and frame.index.name == "id"
    np.testing.assert_array_equal(frame.to_numpy(), run.embed([Recording("s2", second)]))
