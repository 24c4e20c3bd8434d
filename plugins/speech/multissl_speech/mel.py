"""Analysis windows and triangular mel filter banks in numpy (HTK and Kaldi mel scales).

Written here, a few lines of numpy, so that the speech plugin needs neither torchaudio (whose wheels need a
CUDA build of torch) nor ``transformers`` (a large dependency only HuBERT needs); the values equal
``transformers.audio_utils.window_function`` / ``mel_filter_bank`` (``norm=None``), which a test checks.
"""

from __future__ import annotations

import numpy as np

from multissl.errors import RecipeError

MEL_SCALES = ("htk", "kaldi")


def hertz_to_mel(hertz: np.ndarray | float, scale: str) -> np.ndarray:
    """HTK: ``2595 · log10(1 + f / 700)``; Kaldi: ``1127 · ln(1 + f / 700)``."""
    hertz = np.asarray(hertz, dtype=np.float64)
    return 2595.0 * np.log10(1.0 + hertz / 700.0) if scale == "htk" else 1127.0 * np.log(1.0 + hertz / 700.0)


def mel_to_hertz(mel: np.ndarray | float, scale: str) -> np.ndarray:
    """The inverse of :func:`hertz_to_mel`."""
    mel = np.asarray(mel, dtype=np.float64)
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0) if scale == "htk" else 700.0 * (np.exp(mel / 1127.0) - 1.0)


def mel_filter_bank(n_bins: int, n_mels: int, min_hz: float, max_hz: float, sample_rate: int, *, scale: str = "htk",
                    triangles_in_mel: bool = False) -> np.ndarray:
    """``(n_bins, n_mels)`` triangular filters, unnormalised, whose centres are ``n_mels`` points equally spaced
    on the mel scale between ``min_hz`` and ``max_hz`` (plus the two edges). HTK (``triangles_in_mel=False``):
    triangles linear in Hz over the FFT bins ``linspace(0, sample_rate // 2, n_bins)``; Kaldi
    (``triangles_in_mel=True``): triangles linear in mel over the bin frequencies ``k · sample_rate / n_fft``."""
    if scale not in MEL_SCALES:
        raise RecipeError(f"mel scale must be one of {MEL_SCALES}, got {scale!r}.")
    if n_bins < 2 or n_mels < 1 or not 0 <= min_hz <= max_hz:
        raise RecipeError(f"A mel filter bank needs n_bins >= 2, n_mels >= 1 and 0 <= min_hz <= max_hz, got "
                          f"{n_bins}, {n_mels}, {min_hz}, {max_hz}.")
    edges_mel = np.linspace(hertz_to_mel(min_hz, scale), hertz_to_mel(max_hz, scale), n_mels + 2)
    if triangles_in_mel:
        bins = hertz_to_mel(sample_rate / ((n_bins - 1) * 2) * np.arange(n_bins), scale)
        edges = edges_mel
    else:
        bins = np.linspace(0, sample_rate // 2, n_bins)
        edges = mel_to_hertz(edges_mel, scale)
    width = np.diff(edges)
    offset = edges[None, :] - bins[:, None]  # (n_bins, n_mels + 2)
    rising = -offset[:, :-2] / width[:-1]
    falling = offset[:, 2:] / width[1:]
    return np.maximum(0.0, np.minimum(rising, falling))


def window(length: int, kind: str = "hann", *, periodic: bool = True) -> np.ndarray:
    """``hann``: ``0.5 − 0.5 cos(2π n / N)`` (periodic) or ``/(N − 1)`` (symmetric); ``povey`` (Kaldi): the
    symmetric Hann window to the power 0.85."""
    if kind not in ("hann", "povey"):
        raise RecipeError(f"window must be 'hann' or 'povey', got {kind!r}.")
    values = np.hanning(length + 1 if periodic else length)
    values = values[:-1] if periodic else values
    return values ** 0.85 if kind == "povey" else values
