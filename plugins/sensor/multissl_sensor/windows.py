"""Sliding windows over synchronised streams: where they start, and one label per window by majority."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from multissl.errors import EmptyDataError, InvalidDataError


def window_starts(
    length: int, window: int, stride: int, recording_starts: np.ndarray | None = None, gaps: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """Starts ``r, r + stride, r + 2*stride, ...`` of windows of ``window`` samples within each recording
    (beginning at ``r`` in ``recording_starts``, default one recording) of streams ``length`` samples long.

    Gap policy: a window touching a gap (``gaps``: sorted positions where any device or channel is NaN) is
    dropped. Returns the kept starts and how many were dropped.
    """
    bounds = np.append(recording_starts if recording_starts is not None else [0], length)
    lengths = np.diff(bounds)
    if window > lengths.max():
        raise InvalidDataError(
            f"data.window is {window} samples but the longest recording holds only {lengths.max()}; "
            "use a shorter window or more data."
        )
    starts = np.concatenate([np.arange(b, b + n - window + 1, stride) for b, n in zip(bounds, lengths)])
    gaps = np.zeros(0, dtype=np.int64) if gaps is None else gaps
    touches_gap = np.searchsorted(gaps, starts + window) > np.searchsorted(gaps, starts)  # a gap in [start, start + window)
    kept = starts[~touches_gap]
    if len(kept) == 0:
        raise EmptyDataError(
            f"Every one of the {len(starts)} windows touches a NaN gap, so none is left; fill short gaps or pass "
            "the gap-free segments."
        )
    return kept, int(touches_gap.sum())


def majority_labels(labels: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """The most frequent label in each window (ties go to the smallest label value)."""
    classes, codes = np.unique(labels, return_inverse=True)
    per_window = sliding_window_view(codes, window)[starts]
    counts = np.stack([(per_window == k).sum(axis=1) for k in range(len(classes))], axis=1)
    return classes[counts.argmax(axis=1)]
