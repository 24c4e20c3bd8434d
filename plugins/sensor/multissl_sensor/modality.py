"""The ``sensor`` modality: synchronised wearable-device streams cut into windows on the fly.

Batches are ``{"x": (N, T, C) anchor-device windows, "devices": (N, D, T, C) the same time span on
every device, "anchor": (N,) the anchor's index among the devices}``. Each device is standardised per channel with
its training mean and standard deviation (NaN gaps ignored; fitted in one chunked pass), saved in ``state_dict``;
windows are standardised when their batch is built. Windows touching a gap are dropped and counted
(``dropped_windows``).

Data larger than memory: a directory of ``<device>.npy`` (T, C) files (and ``labels.npy``) is one recording, a
directory of such directories is one recording each (named by the directory). They are never read whole:
validation and fitting read chunks, and a batch reads only its windows (:mod:`multissl_sensor.lazy_streams`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch.utils.data import Dataset

from multissl.errors import EmptyDataError, InvalidDataError, RecipeError
from multissl.modalities.base import Modality, PreprocessingState
from multissl_sensor.channel_statistics import channel_statistics
from multissl_sensor.lazy_streams import StreamParts
from multissl_sensor.streams import SCAN_ROWS, Recording, SensorStreams, concatenate, read_streams
from multissl_sensor.windows import majority_labels

SENSOR_VIEWS = [
    {"name": "sensor_rotation"},
    {"name": "sensor_scaling", "std": 0.1},
    {"name": "gaussian_noise", "std": 0.05},  # jitter (Um et al. 2017) is the core's additive Gaussian noise
]


@dataclasses.dataclass
class SensorOptions:
    """Recipe keys under ``data`` for the ``sensor`` modality."""

    sample_rate: float = 32.0
    """Hz; every device must be sampled at this rate."""
    window: int = 64
    """Window length in samples."""
    stride: int = 32
    """Samples between consecutive window starts."""
    devices: list[str] | None = None
    """Devices to use, in this order; default: all, in the order of the source."""
    anchor: str | None = None
    """The device whose windows are ``x`` (the one the encoder is trained for); default: the first."""
    label_key: str | None = "labels"
    """Key (dict, .npz, .mat) or column (DataFrame) holding per-sample labels; None: no labels."""
    device_column: str = "device"
    """Column naming the device in a long DataFrame."""
    channels_per_device: int | None = None
    """Splits a single ``data`` (T, D*C) array of a .mat/.npz file into devices of this many channels."""


class _WindowDataset(Dataset):
    """The (D, window, C) span of every device at each start, as read (unscaled): ``collate`` standardises.
    Streams in memory are held as a tensor, which ``ddp_spawn`` hands to its processes through shared memory."""

    def __init__(self, values: torch.Tensor | StreamParts, starts: np.ndarray, window: int) -> None:
        self.values, self.starts, self.window = values, starts, window

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> torch.Tensor | np.ndarray:
        start = int(self.starts[index])
        return self.values[:, start : start + self.window]


class Sensor(Modality):
    """Synchronised multi-device IMU streams; see the module docstring for the batch format."""

    name = "sensor"
    Options = SensorOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "simclr": {
            "encoder": "cnn1d",
            "views": SENSOR_VIEWS,
            "projector_dims": [256, 128],
            "objective_options": {"temperature": 0.1},  # the SimCLR baseline of the ColloSSL reference (Tang et al. 2020)
        },
        "vicreg": {"encoder": "cnn1d", "views": SENSOR_VIEWS, "projector_dims": [256, 256]},
        "barlow_twins": {"encoder": "cnn1d", "views": SENSOR_VIEWS, "projector_dims": [256, 256]},
        "byol": {"encoder": "cnn1d", "views": SENSOR_VIEWS, "projector_dims": [256, 128], "predictor_dims": [256]},
        "mae": {  # spans of time steps hidden (mean-filled: 0 after standardisation), their channels reconstructed
            "input": "sensor_steps",
            "encoder": "cnn1d",
            "encoder_options": {"padding": "same"},
            "views": [{"name": "span_mask", "ratio": 0.3, "span": 8}],
            "decoder_dims": [128],
            "loss": "mse",
        },
    }

    def __init__(self, options: SensorOptions | None = None) -> None:
        super().__init__(options)
        if self.options.window < 1 or self.options.stride < 1:
            raise RecipeError(f"data.window and data.stride must be positive, got {self.options.window} and {self.options.stride}.")
        self.devices: list[str] = []
        self.mean = np.zeros((0, 0), dtype=np.float32)
        self.scale = np.ones((0, 0), dtype=np.float32)
        self.dropped_windows = 0

    def load(self, source: Any) -> SensorStreams:
        """One recording, or a list of recordings (e.g. subjects) whose windows never cross from one to the next.
        A :class:`Recording` names its recording; a file is named by its path, anything else ``recording<i>``."""
        if isinstance(source, str | Path) and Path(source).is_dir() and not any(Path(source).glob("*.npy")):
            source = [Recording(d.name, d) for d in sorted(Path(source).iterdir()) if d.is_dir()] or source
        if isinstance(source, list | tuple):
            if not source:
                raise EmptyDataError("sensor got an empty list of recordings.")
            streams = concatenate([self._load_one(item, i) for i, item in enumerate(source)])
        else:
            streams = self._load_one(source, 0)
        lengths = np.diff(np.append(streams.recording_starts, streams.values.shape[1]))
        short = {name: int(n) for name, n in zip(streams.recording_names, lengths) if n < self.options.window}
        if short:
            raise InvalidDataError(
                f"data.window is {self.options.window} samples but these recordings are shorter (name: samples): "
                f"{short}; use a shorter window or leave those recordings out."
            )
        streams.window_starts(self.options.window, self.options.stride)  # all gaps?
        return streams

    def _load_one(self, source: Any, position: int) -> SensorStreams:
        name = str(source) if isinstance(source, str | Path) else f"recording{position}"
        if isinstance(source, Recording):
            name, source = source.name, source.source
        opts = self.options
        streams = read_streams(
            source, label_key=opts.label_key, device_column=opts.device_column,
            channels_per_device=opts.channels_per_device, sample_rate=opts.sample_rate,
        )
        wanted = self.devices if self.fitted else opts.devices or streams.devices
        missing = [d for d in wanted if d not in streams.devices]
        if missing:
            raise InvalidDataError(f"Devices {missing} are not in the data, which has {streams.devices}.")
        order = [streams.devices.index(d) for d in wanted]
        gaps = streams.gaps if order == list(range(len(streams.devices))) else None  # None: found again for these devices
        streams = SensorStreams(streams.values[order], streams.labels, list(wanted), recording_names=[name], gaps=gaps)
        if self.fitted and streams.values.shape[2] != self.mean.shape[1]:
            raise InvalidDataError(
                f"Each device has {streams.values.shape[2]} channels but the run was trained on {self.mean.shape[1]}."
            )
        if opts.anchor is not None and opts.anchor not in streams.devices:
            raise InvalidDataError(f"data.anchor {opts.anchor!r} is not one of the devices {streams.devices}.")
        return streams

    def fit(self, raw: SensorStreams) -> None:
        self.devices = list(raw.devices)
        mean, std = channel_statistics(raw.values, SCAN_ROWS)
        self.mean = mean.astype(np.float32)
        std = std.astype(np.float32)
        self.scale = np.where(std > 0, std, 1.0).astype(np.float32)
        self.fitted = True

    def transform(self, raw: SensorStreams) -> torch.Tensor:
        """The whole streams standardised, (D, T, C) float32 in memory (training reads windows instead)."""
        return self._standardise(torch.from_numpy(np.asarray(raw.values)))

    def _standardise(self, windows: torch.Tensor, device: int | None = None) -> torch.Tensor:
        """``(x - mean) / scale`` of (..., D, T, C) windows of every device, or (..., T, C) of device ``device``."""
        if not self.fitted:
            raise InvalidDataError("The sensor preprocessing is not fitted yet: call fit(raw) on training data first.")
        mean, scale = torch.from_numpy(self.mean), torch.from_numpy(self.scale)
        if device is None:
            return (windows - mean[:, None, :]) / scale[:, None, :]
        return (windows - mean[device]) / scale[device]

    def dataset(self, raw: SensorStreams) -> Dataset:
        opts = self.options
        starts, self.dropped_windows = raw.window_starts(opts.window, opts.stride)
        values = torch.from_numpy(raw.values) if isinstance(raw.values, np.ndarray) else raw.values
        return _WindowDataset(values, starts, opts.window)

    def anchor_index(self) -> int:
        """Position of the anchor device among ``devices``."""
        return self.devices.index(self.options.anchor) if self.options.anchor is not None else 0

    def collate(self, items: list[torch.Tensor | np.ndarray]) -> dict[str, torch.Tensor]:
        devices = self._standardise(torch.stack([torch.as_tensor(item) for item in items]))
        anchor = self.anchor_index()
        return {"x": devices[:, anchor], "devices": devices, "anchor": torch.full((len(items),), anchor)}

    def input_spec(self) -> dict[str, Any]:
        return {"input_dim": int(self.mean.shape[1])}

    def state_dict(self) -> PreprocessingState:
        return {"devices": self.devices, "mean": self.mean, "scale": self.scale}

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.devices = list(state["devices"])
        self.mean = np.asarray(state["mean"], dtype=np.float32)
        self.scale = np.asarray(state["scale"], dtype=np.float32)
        self.fitted = True

    def anchor_windows(self, raw: SensorStreams) -> torch.Tensor:
        """The anchor device's standardised windows (N, T, C), in the order of :meth:`dataset` and :meth:`labels`."""
        dataset, anchor = self.dataset(raw), self.anchor_index()  # only the anchor device is read
        windows = np.stack([raw.values[anchor, start : start + dataset.window] for start in dataset.starts.tolist()])
        return self._standardise(torch.from_numpy(windows), anchor)

    def labels(self, raw: SensorStreams) -> np.ndarray | None:
        if raw.labels is None:
            return None
        starts, _ = raw.window_starts(self.options.window, self.options.stride)
        return majority_labels(raw.labels, starts, self.options.window)

    def sample_ids(self, raw: SensorStreams) -> list[str]:
        """``<recording>:<start>`` per window, in :meth:`dataset` order: the recording's name and the window's first
        sample counted from that recording's start (the same window keeps its id whatever recordings come with it)."""
        starts, _ = raw.window_starts(self.options.window, self.options.stride)
        recording = np.searchsorted(raw.recording_starts, starts, side="right") - 1
        offsets = starts - raw.recording_starts[recording]
        return [f"{raw.recording_names[r]}:{int(o)}" for r, o in zip(recording, offsets)]

    def example(self) -> dict[str, np.ndarray]:
        """Three devices sharing one latent 3-axis motion with device-specific gain and noise; 5 channels each."""
        rng = np.random.default_rng(0)
        t = np.arange(1024) / 32.0
        activity = np.repeat(rng.integers(0, 3, 16), 64)
        motion = np.stack([np.sin(2 * np.pi * (1 + activity) * t + phase) for phase in (0.0, 1.0, 2.0)], axis=1)
        source: dict[str, np.ndarray] = {}
        for i, gain in enumerate((1.0, 0.8, 0.5)):
            acc = gain * motion + 0.1 * rng.normal(size=motion.shape)
            gyro = np.gradient(acc[:, :2], axis=0) * 32.0 / (2 * np.pi)
            source[f"imu{i}"] = np.concatenate([acc, gyro], axis=1).astype(np.float32)
        source["labels"] = activity
        return source
