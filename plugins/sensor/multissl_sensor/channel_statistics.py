"""Per-device, per-channel mean and standard deviation of streams in one chunked pass, NaN gaps ignored.

Chunks are merged with the pairwise update of Chan, Golub & LeVeque (1979), in float64:
``n = n_a + n_b``, ``delta = mean_b - mean_a``, ``mean = mean_a + delta * n_b / n``,
``M2 = M2_a + M2_b + delta^2 * n_a * n_b / n``, ``std = sqrt(M2 / n)`` (population, as ``np.nanstd``).
"""

from __future__ import annotations

import numpy as np

from multissl_sensor.lazy_streams import StreamParts


def channel_statistics(values: np.ndarray | StreamParts, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (D, C) of ``values`` (D, T, C), reading ``rows`` samples at a time."""
    devices, _, channels = values.shape
    count = np.zeros((devices, channels))
    mean = np.zeros((devices, channels))
    m2 = np.zeros((devices, channels))
    for start in range(0, values.shape[1], rows):
        block = np.asarray(values[:, start : start + rows], dtype=np.float64)
        present = ~np.isnan(block)
        n = present.sum(axis=1)
        if not n.any():
            continue
        block_mean = np.nansum(block, axis=1) / np.maximum(n, 1)
        block_m2 = np.nansum((block - block_mean[:, None, :]) ** 2, axis=1)
        total = count + n
        delta = block_mean - mean
        share = np.divide(n, total, out=np.zeros_like(mean), where=total > 0)
        mean = mean + delta * share
        m2 = m2 + block_m2 + delta**2 * count * share
        count = total
    return mean, np.sqrt(np.divide(m2, count, out=np.zeros_like(m2), where=count > 0))
