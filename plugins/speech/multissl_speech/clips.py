"""Clips that are decoded when a batch needs them: audio files are indexed from their headers, arrays kept as given.

A corpus larger than memory trains because only its index lives in memory: per file its path, sample rate and
length (``soundfile.info``), a few hundred bytes. Samples are read, mixed to mono and resampled per access.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Sequence

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from multissl.errors import InvalidDataError

FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")  # the only sample formats that can hold NaN or infinity


class UnusableAudio(Exception):
    """One input cannot be used (unreadable, empty, NaN); skipped or raised depending on ``strict``."""


def mono_at_rate(data: np.ndarray, rate: int, target_rate: int, name: str) -> np.ndarray:
    """``(samples, channels)`` float32 -> mono float32 at ``target_rate`` (``scipy.signal.resample_poly``)."""
    if data.size == 0:
        raise UnusableAudio(f"{name} is empty (0 samples)")
    if not np.isfinite(data).all():
        raise UnusableAudio(f"{name} holds {int((~np.isfinite(data)).sum())} NaN or infinite samples")
    mono = data.mean(axis=1)
    if rate != target_rate:
        g = math.gcd(int(rate), int(target_rate))
        mono = resample_poly(mono, target_rate // g, int(rate) // g).astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def resampled_length(num_samples: int, rate: int, target_rate: int) -> int:
    """Samples ``resample_poly`` returns: ``ceil(S · up / down)``."""
    g = math.gcd(int(rate), int(target_rate))
    return -(-num_samples * (target_rate // g) // (int(rate) // g))


@dataclasses.dataclass(frozen=True)
class AudioFile:
    """One indexed file: where it is, its own sample rate, its length once resampled (``padded`` to one frame when
    shorter), and its size and modification time (a feature cache's key)."""

    path: str
    rate: int
    num_samples: int
    padded: bool
    size: int
    mtime_ns: int

    @classmethod
    def index(cls, path: str, target_rate: int, min_samples: int) -> AudioFile:
        """Read the header; a file that cannot be opened or holds no samples raises :class:`UnusableAudio`.
        Float files are decoded once here, as only they can hold NaN or infinite samples."""
        try:
            info = sf.info(path)
            stat = os.stat(path)
        except (sf.LibsndfileError, RuntimeError, OSError) as exc:
            raise UnusableAudio(f"{path} could not be decoded ({exc})") from None
        if info.frames <= 0:
            raise UnusableAudio(f"{path} is empty (0 samples)")
        if info.subtype in FLOAT_SUBTYPES:
            data, _ = sf.read(path, dtype="float32", always_2d=True)
            mono_at_rate(data, info.samplerate, info.samplerate, path)
        length = resampled_length(info.frames, info.samplerate, target_rate)
        return cls(str(path), int(info.samplerate), max(length, min_samples), length < min_samples, stat.st_size,
                   stat.st_mtime_ns)

    def read(self, target_rate: int) -> np.ndarray:
        """The samples, mono at ``target_rate``, zero-padded to ``num_samples`` when shorter."""
        try:
            data, rate = sf.read(self.path, dtype="float32", always_2d=True)
            wave = mono_at_rate(data, rate, target_rate, self.path)
        except (sf.LibsndfileError, RuntimeError, OSError, UnusableAudio) as exc:
            raise InvalidDataError(
                f"speech could not decode {self.path} when a batch needed it ({exc}), although its header was read "
                "when the data were indexed. Repair or remove the file: data.strict decides only about the files "
                "that fail when indexed (skipped and counted, or refused before training)."
            ) from None
        if len(wave) < self.num_samples:
            wave = np.pad(wave, (0, self.num_samples - len(wave)))
        return wave


class Clips(Sequence[np.ndarray]):
    """Mono float32 waveforms at ``sample_rate``: ``clips[i]`` decodes an :class:`AudioFile` on access, or
    returns an array kept in memory. ``lengths`` holds every clip's number of samples without decoding."""

    def __init__(self, items: list[np.ndarray | AudioFile], sample_rate: int) -> None:
        self.items = items
        self.sample_rate = sample_rate
        self.lengths = np.array([i.num_samples if isinstance(i, AudioFile) else len(i) for i in items], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int | slice) -> np.ndarray | Clips:  # type: ignore[override]
        if isinstance(index, slice):
            return Clips(self.items[index], self.sample_rate)
        item = self.items[index]
        return item.read(self.sample_rate) if isinstance(item, AudioFile) else item

    def fingerprint(self, index: int) -> bytes:
        """What identifies the clip's samples: a file's path, size, modification time and rates (no decoding),
        or an array's bytes."""
        item = self.items[index]
        if isinstance(item, AudioFile):
            return f"{os.path.abspath(item.path)}|{item.size}|{item.mtime_ns}|{item.rate}->{self.sample_rate}".encode()
        return hashlib.sha1(item.tobytes()).digest()


def clip_lengths(waveforms: Sequence[np.ndarray]) -> np.ndarray:
    """Samples per clip, from the index when ``waveforms`` are :class:`Clips` (nothing is decoded)."""
    return waveforms.lengths if isinstance(waveforms, Clips) else np.array([len(w) for w in waveforms], dtype=np.int64)
