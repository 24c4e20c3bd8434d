"""Reading audio into mono float32 waveforms at one sample rate: files (soundfile), directories, lists, arrays.

Files are indexed, not decoded (:mod:`multissl_speech.clips`): a clip is read when a batch needs it.

Resampling uses ``scipy.signal.resample_poly`` (polyphase FIR with a Kaiser window): scipy is already a
dependency of the core (through scikit-learn), it is exact for the rational ratios of speech corpora
(8 kHz -> 16 kHz is up 2, down 1) and deterministic, so no resampler library is added.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multissl.errors import EmptyDataError, InvalidDataError
from multissl_speech.clips import AudioFile, Clips, UnusableAudio, clip_lengths, mono_at_rate

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
LIST_EXTENSIONS = (".txt", ".lst", ".list")


class AudioSkipWarning(UserWarning):
    """Some inputs could not be used and were skipped (see ``AudioCollection.skipped``)."""


@dataclasses.dataclass
class AudioCollection:
    """Loaded audio: ``waveforms`` (mono float32 at ``sample_rate``; :class:`~multissl_speech.clips.Clips`
    decode files on access), one ``name`` each (its path, or ``utt<i>``
    for the ``i``-th in-memory array), the ``skipped`` inputs with why, how many clips shorter than one frame
    were zero-padded, and for a manifest its rows (``table``, one per waveform: labels, split)."""

    waveforms: Sequence[np.ndarray]
    names: list[str]
    sample_rate: int
    labels: np.ndarray | None = None
    skipped: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    n_padded: int = 0
    table: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.waveforms)

    @property
    def durations(self) -> np.ndarray:
        """Seconds per clip."""
        return clip_lengths(self.waveforms).astype(np.float64) / self.sample_rate


STRICT_HINT = "data.strict is on; set strict: false to skip such inputs and count them"


def load_audio(source: Any, sample_rate: int, *, min_samples: int, strict: bool = False, strict_hint: str = STRICT_HINT,
               extensions: Sequence[str] = AUDIO_EXTENSIONS) -> AudioCollection:
    """Read ``source`` into an :class:`AudioCollection` at ``sample_rate``.

    ``source``: a directory (searched recursively for ``extensions``), an audio file, a text file listing one
    path per line (relative paths from the list's folder), a sequence of paths, a sequence of
    ``(array, sample_rate)`` pairs, ``{"audio": [arrays], "sample_rate": int or list, "labels": optional}``, or a
    manifest: a DataFrame with a ``path`` column and any others (labels, ``split``), kept as ``table``.
    Files are indexed from their headers and decoded when used (the returned ``waveforms`` are
    :class:`~multissl_speech.clips.Clips`); arrays stay in memory. Multi-channel audio is averaged to mono; clips
    shorter than ``min_samples`` (one frame) are zero-padded to it. Unreadable or empty inputs and inputs holding
    NaN or infinite samples are skipped with one warning that
    counts them (``strict=False``) or raise one :class:`InvalidDataError` naming them (the first five, then a
    count) and ``strict_hint`` (``strict=True``).
    """
    labels = table = None
    if isinstance(source, pd.DataFrame):
        table = _manifest(source)
        items = [(p, None) for p in table["path"]]
    elif isinstance(source, dict):
        items, labels = _items_from_dict(source)
    elif isinstance(source, (str, Path)):
        items = [(p, None) for p in _paths(Path(source), extensions)]
    elif isinstance(source, np.ndarray):
        raise InvalidDataError(
            "speech got a bare array without its sample rate; pass {'audio': [array, ...], 'sample_rate': 16000} "
            "or a list of (array, sample_rate) pairs."
        )
    elif isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        items = [_item(entry, i) for i, entry in enumerate(source)]
    else:
        raise InvalidDataError(
            f"speech cannot read a {type(source).__name__}; pass a directory, an audio file, a file list, "
            "a list of paths, or arrays with their sample rates."
        )
    if not items:
        raise EmptyDataError(f"speech found no audio in {_describe(source)} (extensions searched: {list(extensions)}).")
    waveforms, names, skipped, kept, n_padded = [], [], [], [], 0
    for index, (entry, rate) in enumerate(items):
        name = str(entry) if isinstance(entry, (str, Path)) else f"utt{index}"
        try:
            if isinstance(entry, (str, Path)):
                clip = AudioFile.index(name, sample_rate, min_samples)
                n_padded += clip.padded
            else:
                clip = _decode_array(entry, rate, sample_rate, name)
                if len(clip) < min_samples:
                    clip = np.pad(clip, (0, min_samples - len(clip)))
                    n_padded += 1
        except UnusableAudio as exc:
            skipped.append((name, str(exc)))
            continue
        waveforms.append(clip)
        names.append(name)
        kept.append(index)
    if skipped and strict:
        problems = "; ".join(why for _, why in skipped[:5]) + (f"; and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        raise InvalidDataError(f"speech cannot use {len(skipped)} of {len(items)} inputs: {problems} ({strict_hint}).")
    if skipped:
        examples = "; ".join(f"{n}: {why}" for n, why in skipped[:3])
        warnings.warn(f"speech skipped {len(skipped)} of {len(items)} inputs ({examples}). "
                      "Set data.strict to make this an error.", AudioSkipWarning, stacklevel=2)
    if not waveforms:
        raise EmptyDataError(f"speech could use none of the {len(items)} inputs; first problems: {skipped[:3]}.")
    if labels is not None:
        labels = labels[np.asarray(kept)]
    if table is not None:
        table = table.iloc[kept].reset_index(drop=True)
    return AudioCollection(Clips(waveforms, sample_rate), names, sample_rate, labels, skipped, n_padded, table)


def _decode_array(entry: Any, rate: int, target_rate: int, name: str) -> np.ndarray:
    data = np.asarray(entry)
    if data.dtype.kind not in "fiu":
        raise UnusableAudio(f"{name} is not numeric audio (dtype {data.dtype})")
    if data.ndim == 1:
        data = data[:, None]
    elif data.ndim == 2:
        data = data if data.shape[0] >= data.shape[1] else data.T  # (samples, channels)
    else:
        raise UnusableAudio(f"{name} has shape {data.shape}; pass (samples,) or (samples, channels)")  # (channels, samples) is transposed above
    if data.dtype.kind in "iu":
        data = data / float(np.iinfo(data.dtype).max)
    return mono_at_rate(data.astype(np.float32), rate, target_rate, name)


def _paths(path: Path, extensions: Sequence[str]) -> list[Path]:
    extensions = tuple(e.lower() for e in extensions)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in extensions and p.is_file())
    if not path.exists():
        raise InvalidDataError(f"speech: {str(path)!r} does not exist.")
    if path.suffix.lower() in LIST_EXTENSIONS:
        lines = [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
        return [p if p.is_absolute() else path.parent / p for p in map(Path, lines)]
    return [path]


def _manifest(table: pd.DataFrame) -> pd.DataFrame:
    if "path" not in table.columns:
        raise InvalidDataError(
            f"A speech manifest needs a 'path' column (one audio file per row); got columns {list(table.columns)}."
        )
    paths = table["path"]
    if paths.isna().any() or not all(isinstance(p, (str, Path)) for p in paths):
        bad = [i for i, p in enumerate(paths) if not isinstance(p, (str, Path)) or pd.isna(p)]
        raise InvalidDataError(f"The manifest's 'path' column must hold file paths; rows {bad[:5]} do not.")
    return table.reset_index(drop=True)


def _item(entry: Any, index: int) -> tuple[Any, int | None]:
    if isinstance(entry, (str, Path)):
        return entry, None
    if isinstance(entry, tuple) and len(entry) == 2 and np.isscalar(entry[1]):
        return entry[0], _rate(entry[1], f"item {index}")
    raise InvalidDataError(f"speech item {index} is a {type(entry).__name__}; pass a path or an (array, sample_rate) pair.")


def _items_from_dict(source: dict) -> tuple[list[tuple[Any, int]], np.ndarray | None]:
    unknown = set(source) - {"audio", "sample_rate", "labels"}
    if "audio" not in source or "sample_rate" not in source or unknown:
        raise InvalidDataError(
            f"speech reads dicts of the form {{'audio': [arrays], 'sample_rate': int or list, 'labels': optional}}; "
            f"got keys {sorted(source)}."
        )
    audio = list(source["audio"])
    rates = source["sample_rate"]
    rates = [rates] * len(audio) if np.isscalar(rates) else list(rates)
    if len(rates) != len(audio):
        raise InvalidDataError(f"speech got {len(audio)} arrays and {len(rates)} sample rates; pass one rate or one per array.")
    labels = None
    if source.get("labels") is not None:
        labels = np.asarray(source["labels"])
        if len(labels) != len(audio):
            raise InvalidDataError(f"speech got {len(audio)} arrays and {len(labels)} labels; pass one label per array.")
    return [(a, _rate(r, f"utt{i}")) for i, (a, r) in enumerate(zip(audio, rates))], labels


def _rate(value: Any, what: str) -> int:
    if isinstance(value, bool) or int(value) != value or value <= 0:
        raise InvalidDataError(f"speech: the sample rate of {what} must be a positive integer (Hz), got {value!r}.")
    return int(value)


def _describe(source: Any) -> str:
    return repr(str(source)) if isinstance(source, (str, Path)) else f"the given {type(source).__name__}"
