"""Sensor streams read on demand from ``.npy`` files: only the spans asked for are read, never the whole recording.

:class:`NpyFile` reads rows of a ``.npy`` (T, C) array with ``os.pread`` at the offsets numpy's own header parser
(``numpy.lib.format``) gives. Not ``np.load(mmap_mode="r")``: every page a memory map touches stays mapped into the
process and counts in its resident memory until the kernel reclaims it, so a pass over a recording larger than
memory (fitting the standardisation) or an epoch of random windows would show the whole file as resident; a read
goes through the page cache and leaves only the rows it returns.

:class:`StreamParts` shows per-recording, per-device (T_r, C) arrays (files or in-memory arrays) as one (D, T, C)
array of recordings following one another along T, the layout :class:`~multissl_sensor.streams.SensorStreams` holds.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from multissl.errors import InvalidDataError


class NpyFile:
    """Rows of the (T, C) array of a ``.npy`` file ((T,): one channel), read when sliced: ``file[a:b]`` is (b - a, C)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        with open(self.path, "rb") as handle:
            try:
                version = np.lib.format.read_magic(handle)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, fortran_order, dtype = read_header(handle)
            except ValueError as exc:
                raise InvalidDataError(f"{self.path} is not a readable .npy file ({exc}); write it with np.save.") from exc
            self.offset = handle.tell()
        if fortran_order or dtype.hasobject or not np.issubdtype(dtype, np.number) or len(shape) not in (1, 2):
            raise InvalidDataError(
                f"{self.path} holds a {'Fortran-ordered ' if fortran_order else ''}{dtype} array of shape {shape}; a device "
                "stream must be a C-ordered numeric (T, C) or (T,) array: np.save(path, np.ascontiguousarray(stream, 'float32'))."
            )
        self.shape, self.dtype = (shape[0], shape[1] if len(shape) == 2 else 1), dtype  # a (T,) file is one channel
        self._row_bytes = dtype.itemsize * self.shape[1]
        self._descriptor: tuple[int, int] | None = None  # (process id, file descriptor): opened once per process

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, span: slice) -> np.ndarray:
        start, stop, step = span.indices(self.shape[0])
        if step != 1:
            raise IndexError("NpyFile reads contiguous spans of rows only.")
        count = max(stop - start, 0)
        data = os.pread(self._fd(), count * self._row_bytes, self.offset + start * self._row_bytes)
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def _fd(self) -> int:
        if self._descriptor is None or self._descriptor[0] != os.getpid():  # a forked loader worker opens its own
            self._descriptor = (os.getpid(), os.open(self.path, os.O_RDONLY))
        return self._descriptor[1]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_descriptor": None}  # another process reopens the file by its path

    def __del__(self) -> None:
        if getattr(self, "_descriptor", None) is not None and self._descriptor[0] == os.getpid():
            os.close(self._descriptor[1])


class StreamParts:
    """A (D, T, C) float32 view of ``parts[r][d]``, the (T_r, C) stream of device ``d`` in recording ``r``.

    Indexing: ``[:, a:b]`` gives a (D, b - a, C) array and ``[d, a:b]`` a (b - a, C) array of device ``d``, read from
    the recordings the span covers; ``[order]`` (a list of device positions) gives the view of those devices.
    ``np.asarray(parts)`` reads everything."""

    ndim = 3
    dtype = np.dtype(np.float32)

    def __init__(self, parts: list[list[Any]]) -> None:
        self.parts = parts
        self.starts = np.concatenate([[0], np.cumsum([len(recording[0]) for recording in parts])]).astype(np.int64)
        self.shape = (len(parts[0]), int(self.starts[-1]), parts[0][0].shape[1])

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, list | np.ndarray):
            return StreamParts([[recording[int(d)] for d in key] for recording in self.parts])
        device, span = key if isinstance(key, tuple) else (key, slice(None))
        if not (isinstance(device, int | np.integer) or device == slice(None)) or not isinstance(span, slice):
            raise IndexError(f"StreamParts takes [:, a:b], [d, a:b] or [device list], got {key!r}.")
        start, stop, step = span.indices(self.shape[1])
        if step != 1:
            raise IndexError("StreamParts reads contiguous spans only.")
        pieces = []
        recording = int(np.searchsorted(self.starts, start, side="right")) - 1
        while start < stop:
            offset, end = self.starts[recording], min(stop, self.starts[recording + 1])
            streams = self.parts[recording]
            chosen = [streams[int(device)]] if device != slice(None) else streams
            rows = slice(int(start - offset), int(end - offset))
            pieces.append(np.stack([np.asarray(s[rows], dtype=np.float32).reshape(int(end - start), -1) for s in chosen]))
            start, recording = end, recording + 1
        block = np.concatenate(pieces, axis=1) if pieces else np.zeros((self.shape[0], 0, self.shape[2]), np.float32)
        return block[0] if device != slice(None) else block

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        values = self[:, :]
        return values if dtype is None else values.astype(dtype)

    @staticmethod
    def chain(values: list[Any]) -> StreamParts:
        """The recordings of several (D, T_r, C) arrays or :class:`StreamParts`, one after another."""
        parts: list[list[Any]] = []
        for value in values:
            parts.extend(value.parts if isinstance(value, StreamParts) else [[device for device in value]])
        return StreamParts(parts)
