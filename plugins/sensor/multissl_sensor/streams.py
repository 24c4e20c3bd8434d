"""Reading synchronised multi-device streams from what users hold into one validated container.

Accepted: a dict ``{device: (T, C) array}`` (a value may also be ``{"data": array, "sample_rate": hz}``),
optionally with a label array under the label key; a long pandas DataFrame with a device column
(rows of each device in time order, the remaining numeric columns are channels); a ``.npz`` file of
per-device arrays; a ``.mat`` file holding either per-device arrays or one ``data`` (T, D*C) array
split into equal blocks of ``channels_per_device``; a directory of ``.npy`` files, one (T, C) array per device
named ``<device>.npy`` and the labels as ``<label_key>.npy``, read on demand and never whole (see
:mod:`multissl_sensor.lazy_streams`). A :class:`Recording` names one of several recordings (a subject), so that
evaluation can hold each out in turn.

Validation reads the streams in chunks of :data:`SCAN_ROWS` samples: an infinite value is reported with its
device (or file), sample and channel; NaN samples are kept as gap positions, so windows can skip them unread.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError
from multissl_sensor.lazy_streams import NpyFile, StreamParts
from multissl_sensor.windows import window_starts

SCAN_ROWS = 1 << 18
"""Samples read at a time when validating streams or fitting their statistics."""


@dataclasses.dataclass
class Recording:
    """One recording (e.g. one subject) under a name: ``source`` is anything ``sensor`` reads."""

    name: str
    source: Any


@dataclasses.dataclass
class SensorStreams:
    """Synchronised streams ``values`` (D, T, C) float32 (NaN marks gaps; an array in memory, or a
    :class:`~multissl_sensor.lazy_streams.StreamParts` read on demand), per-sample ``labels`` (T,) or None, where
    each recording begins along T (windows never cross a recording boundary), its name, and ``gaps``: the sorted
    positions along T where any device holds a NaN (found by a chunked pass over ``values`` when not given)."""

    values: np.ndarray | StreamParts
    labels: np.ndarray | None
    devices: list[str]
    recording_starts: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    recording_names: list[str] = dataclasses.field(default_factory=lambda: ["recording0"])
    gaps: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.gaps is None:
            self.gaps = gap_positions(self.values)

    def window_starts(self, window: int, stride: int) -> tuple[np.ndarray, int]:
        """Kept window starts and the number dropped at gaps (:func:`~multissl_sensor.windows.window_starts`)."""
        return window_starts(self.values.shape[1], window, stride, self.recording_starts, self.gaps)

    def recordings(self, label_key: str) -> list[Recording]:
        """Each recording as a :class:`Recording` of ``{device: (T, C) array, label_key: labels}`` (as read, unscaled;
        a recording read on demand stays so: its devices are its files)."""
        bounds = np.append(self.recording_starts, self.values.shape[1])
        parts = []
        for r, (name, start, stop) in enumerate(zip(self.recording_names, bounds[:-1], bounds[1:])):
            lazy = isinstance(self.values, StreamParts)
            streams = self.values.parts[r] if lazy else [self.values[d, start:stop] for d in range(len(self.devices))]
            source: dict[str, Any] = dict(zip(self.devices, streams))
            if self.labels is not None:
                source[label_key] = self.labels[start:stop]
            parts.append(Recording(name, source))
        return parts


def concatenate(recordings: list[SensorStreams]) -> SensorStreams:
    """Several single recordings (e.g. subjects) of the same devices and channels as one :class:`SensorStreams`."""
    names = [name for r in recordings for name in r.recording_names]
    if len(set(names)) != len(names):
        raise InvalidDataError(f"Recording names must be distinct, got {names}; name each with Recording(name, source).")
    first = recordings[0]
    for other in recordings[1:]:
        if other.devices != first.devices or other.values.shape[2] != first.values.shape[2]:
            raise InvalidDataError(
                f"Every recording must hold the same devices and channels: {first.devices} with {first.values.shape[2]} "
                f"channels, then {other.devices} with {other.values.shape[2]}."
            )
    if len({r.labels is None for r in recordings}) != 1:
        raise InvalidDataError("Some recordings carry labels and others do not; label all of them or none.")
    lengths = [r.values.shape[1] for r in recordings]
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    in_memory = all(isinstance(r.values, np.ndarray) for r in recordings)
    return SensorStreams(
        np.concatenate([r.values for r in recordings], axis=1) if in_memory else StreamParts.chain([r.values for r in recordings]),
        None if first.labels is None else np.concatenate([r.labels for r in recordings]),
        list(first.devices),
        offsets,
        list(names),
        np.concatenate([r.gaps + offset for r, offset in zip(recordings, offsets)]),
    )


def gap_positions(values: np.ndarray | StreamParts) -> np.ndarray:
    """Sorted positions along T where any device or channel of ``values`` (D, T, C) is NaN, read in chunks."""
    found = [np.zeros(0, dtype=np.int64)]
    for start in range(0, values.shape[1], SCAN_ROWS):
        found.append(start + np.flatnonzero(np.isnan(values[:, start : start + SCAN_ROWS]).any(axis=(0, 2))))
    return np.concatenate(found)


def _scan(stream: np.ndarray | NpyFile, where: str) -> np.ndarray:
    """NaN rows of a device's (T, C) ``stream``, read in chunks; an infinite value raises, naming ``where`` and its row."""
    found = [np.zeros(0, dtype=np.int64)]
    for start in range(0, len(stream), SCAN_ROWS):
        block = np.asarray(stream[start : start + SCAN_ROWS], dtype=np.float32)
        infinite = np.argwhere(np.isinf(block))
        if len(infinite):
            row, channel = infinite[0]
            raise NonFiniteDataError(
                f"{where} holds an infinite value at sample {start + row} (channel {channel}); only NaN is accepted, "
                "as a gap marker."
            )
        found.append(start + np.flatnonzero(np.isnan(block).any(axis=1)))
    return np.concatenate(found)


def read_streams(source: Any, *, label_key: str | None, device_column: str, channels_per_device: int | None,
                 sample_rate: float) -> SensorStreams:
    """Validated :class:`SensorStreams` from ``source``; raises ``multissl.errors`` on bad input."""
    if isinstance(source, str | Path):
        path = Path(source)
        source = _read_directory(path, label_key) if path.is_dir() else _read_file(path, label_key, channels_per_device)
    if isinstance(source, pd.DataFrame):
        source = _from_frame(source, label_key, device_column)
    if not isinstance(source, dict):
        raise InvalidDataError(
            f"sensor cannot read a {type(source).__name__}. Pass a dict {{device: (T, C) array}}, a long DataFrame "
            f"with a {device_column!r} column, a .npz/.mat file, or a directory of <device>.npy files."
        )
    source = dict(source)
    labels = source.pop(label_key, None) if label_key is not None else None
    if not source:
        raise EmptyDataError("sensor data holds no device streams.")
    arrays = {str(name): _device_array(name, stream, sample_rate) for name, stream in source.items()}
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise InvalidDataError(
            f"Device streams must be synchronised (equal length), got lengths {lengths}. Resample or trim them to a common clock."
        )
    widths = {name: a.shape[1] for name, a in arrays.items()}
    if len(set(widths.values())) != 1:
        raise InvalidDataError(
            f"Every device must carry the same channels, got channel counts {widths}. A device with missing channels "
            "cannot share the encoder: drop that device or fill its channels."
        )
    where = {name: a.path if isinstance(a, NpyFile) else f"Device {name!r}" for name, a in arrays.items()}
    gaps = np.unique(np.concatenate([_scan(a, where[name]) for name, a in arrays.items()]))
    on_disk = any(isinstance(a, NpyFile) for a in arrays.values())
    values = StreamParts([list(arrays.values())]) if on_disk else np.stack(list(arrays.values()))
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != values.shape[1]:
            raise InvalidDataError(f"labels hold {len(labels)} samples but the streams hold {values.shape[1]}.")
    return SensorStreams(values, labels, list(arrays), gaps=gaps)


def _device_array(name: Any, stream: Any, sample_rate: float) -> np.ndarray | NpyFile:
    if isinstance(stream, dict):
        rate = stream.get("sample_rate", sample_rate)
        if float(rate) != float(sample_rate):
            raise InvalidDataError(
                f"Device {name!r} is sampled at {rate} Hz but data.sample_rate is {sample_rate} Hz. "
                "Resample every device to one rate first."
            )
        stream = stream["data"]
    if isinstance(stream, NpyFile):
        if len(stream) == 0:
            raise InvalidDataError(f"Device {name!r} ({stream.path}) holds no samples.")
        return stream
    array = np.asarray(stream, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise InvalidDataError(f"Device {name!r} must be a non-empty (T, C) array, got shape {array.shape}.")
    return array


def _from_frame(frame: pd.DataFrame, label_key: str | None, device_column: str) -> dict[str, Any]:
    if device_column not in frame.columns:
        raise InvalidDataError(f"A long sensor DataFrame needs a {device_column!r} column; it has {list(frame.columns)}.")
    channels = [c for c in frame.columns if c not in (device_column, label_key)]
    streams: dict[str, Any] = {}
    for device, rows in frame.groupby(device_column, sort=False):
        streams[str(device)] = rows[channels].to_numpy(dtype=np.float32)
        if label_key in frame.columns and label_key not in streams:
            streams[label_key] = rows[label_key].to_numpy()
    return streams


def _read_directory(path: Path, label_key: str | None) -> dict[str, Any]:
    """``<device>.npy`` files (devices in file-name order) and ``<label_key>.npy``, opened but not read."""
    files = sorted(path.glob("*.npy"))
    if not files:
        raise InvalidDataError(
            f"Sensor directory {str(path)!r} holds no .npy files; write one (T, C) array per device as <device>.npy "
            "(and the labels as labels.npy), or pass a directory of such recording directories."
        )
    streams: dict[str, Any] = {f.stem: NpyFile(f) for f in files if f.stem != label_key}
    labels = path / f"{label_key}.npy"
    if label_key is not None and labels.is_file():
        streams[label_key] = np.load(labels, mmap_mode="r", allow_pickle=False)
    return streams


def _read_file(path: Path, label_key: str | None, channels_per_device: int | None) -> dict[str, Any]:
    if not path.exists():
        raise InvalidDataError(f"Sensor file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    elif suffix == ".mat":
        from scipy.io import loadmat

        arrays = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    else:
        raise InvalidDataError(f"sensor reads .npz and .mat files, got {str(path)!r}.")
    if set(arrays) - {label_key} == {"data"}:
        data = arrays.pop("data")
        if channels_per_device is None or data.shape[1] % channels_per_device:
            raise InvalidDataError(
                f"{path.name} holds one 'data' array of shape {data.shape}; set data.channels_per_device to a divisor "
                f"of {data.shape[1]} to split it into devices."
            )
        blocks = np.split(data, data.shape[1] // channels_per_device, axis=1)
        arrays.update({f"device{i}": block for i, block in enumerate(blocks)})
    return arrays
