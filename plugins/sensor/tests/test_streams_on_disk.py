"""Recordings as directories of ``<device>.npy`` files: read on demand, the same windows, statistics and labels as
the same streams in memory, bad files named with the sample where they go wrong."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from multissl_sensor.lazy_streams import NpyFile, StreamParts
from multissl_sensor.modality import Sensor, SensorOptions
from multissl_sensor.streams import Recording

from multissl.errors import InvalidDataError, NonFiniteDataError


def streams(length: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    source = {f"d{i}": rng.normal(loc=i, scale=i + 1, size=(length, 3)).astype(np.float32) for i in range(2)}
    source["labels"] = np.repeat(np.arange(length // 10 + 1), 10)[:length]
    return source


def write(directory: Path, source: dict[str, np.ndarray]) -> Path:
    directory.mkdir(parents=True)
    for name, array in source.items():
        np.save(directory / f"{name}.npy", array)
    return directory


def test_a_directory_gives_the_windows_statistics_and_labels_of_the_same_streams_in_memory(tmp_path):
    first, second = streams(95, 0), streams(60, 1)
    first["d1"][30:34, 2] = np.nan
    root = tmp_path / "subjects"
    write(root / "s1", first), write(root / "s2", second)
    on_disk, in_memory = Sensor(SensorOptions(window=16, stride=8)), Sensor(SensorOptions(window=16, stride=8))
    raw = on_disk.load(root)
    expected = in_memory.load([Recording("s1", first), Recording("s2", second)])
    assert isinstance(raw.values, StreamParts) and raw.recording_names == ["s1", "s2"]
    np.testing.assert_array_equal(raw.gaps, expected.gaps)
    on_disk.fit(raw), in_memory.fit(expected)
    np.testing.assert_allclose(on_disk.mean, np.nanmean(expected.values, axis=1), rtol=1e-6)
    np.testing.assert_allclose(on_disk.scale, np.nanstd(expected.values, axis=1), rtol=1e-6)
    dataset = on_disk.dataset(raw)
    np.testing.assert_array_equal(dataset.starts, in_memory.dataset(expected).starts)
    assert on_disk.dropped_windows == in_memory.dropped_windows == 3  # starts 16, 24 and 32 cover samples 30-33
    batch = on_disk.collate([dataset[i] for i in range(len(dataset))])
    reference = in_memory.collate([in_memory.dataset(expected)[i] for i in range(len(dataset))])
    np.testing.assert_array_equal(batch["devices"].numpy(), reference["devices"].numpy())
    np.testing.assert_array_equal(on_disk.labels(raw), in_memory.labels(expected))
    assert on_disk.sample_ids(raw) == in_memory.sample_ids(expected)
    subjects = raw.recordings("labels")  # as leave-one-subject-out splits them: still files
    assert [s.name for s in subjects] == ["s1", "s2"] and isinstance(subjects[1].source["d0"], NpyFile)
    np.testing.assert_array_equal(np.asarray(on_disk.load(subjects[1:]).values), expected.values[:, 95:])


def test_gaps_and_statistics_are_found_chunk_by_chunk(tmp_path, monkeypatch):
    import multissl_sensor.modality
    import multissl_sensor.streams

    source = streams(1000, 2)
    source["d0"][::7, 1] = np.nan
    for module in (multissl_sensor.modality, multissl_sensor.streams):
        monkeypatch.setattr(module, "SCAN_ROWS", 64)  # 16 chunks, the last one shorter
    modality = Sensor(SensorOptions(window=4, stride=4))
    raw = modality.load(write(tmp_path / "r", source))
    np.testing.assert_array_equal(raw.gaps, np.arange(0, 1000, 7))
    modality.fit(raw)
    values = np.stack([source["d0"], source["d1"]])
    np.testing.assert_allclose(modality.mean, np.nanmean(values, axis=1), rtol=1e-5)
    np.testing.assert_allclose(modality.scale, np.nanstd(values, axis=1), rtol=1e-5)


def test_a_window_reads_only_its_rows_and_the_dataset_pickles_without_the_data(tmp_path):
    modality = Sensor(SensorOptions(window=16, stride=8))
    raw = modality.load(write(tmp_path / "r", streams(4000, 3)))
    modality.fit(raw)
    dataset = modality.dataset(raw)
    copy = pickle.loads(pickle.dumps(dataset))
    assert len(pickle.dumps(dataset)) < 20_000, "the file is named, not copied"
    np.testing.assert_array_equal(copy[7], dataset[7])
    assert isinstance(raw.values.parts[0][0], NpyFile)


def test_an_infinite_value_names_its_file_sample_and_channel(tmp_path):
    source = streams(50, 4)
    source["d1"][41, 2] = np.inf
    directory = write(tmp_path / "r", source)
    with pytest.raises(NonFiniteDataError, match=r"d1\.npy holds an infinite value at sample 41 \(channel 2\)"):
        Sensor(SensorOptions(window=16, stride=8)).load(directory)


def test_bad_directories_say_what_to_write(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidDataError, match="holds no .npy files"):
        Sensor().load(tmp_path / "empty")
    directory = write(tmp_path / "r", streams(50, 5))
    np.save(directory / "d1.npy", np.full((50, 3), "x"))
    with pytest.raises(InvalidDataError, match="C-ordered numeric"):
        Sensor().load(directory)
    np.save(directory / "d1.npy", np.zeros((49, 3), dtype=np.float32))
    with pytest.raises(InvalidDataError, match="synchronised"):
        Sensor().load(directory)
