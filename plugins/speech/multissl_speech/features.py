"""Acoustic features in torch, on the batch's device: log-mel, Kaldi-style fbank, MFCC, deltas, CMVN.

Framing is ``unfold`` + ``torch.fft.rfft`` rather than ``torch.stft``: Kaldi removes each frame's DC
offset and pre-emphasises inside the frame before windowing, which ``stft`` cannot do; for the
plain log-mel the two are the same computation. Mel filter banks and windows come from
:mod:`multissl_speech.mel` (numpy), so neither torchaudio nor transformers is needed. Frames are not centred (Kaldi's
``snip_edges``): frame ``t`` covers samples ``[t·hop, t·hop + win)``, ``T = 1 + (S − win) // hop``.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import torch
from scipy.fft import dct
from torch import Tensor, nn

from multissl.errors import InvalidDataError, RecipeError
from multissl_speech.mel import mel_filter_bank, window

KINDS = ("logmel", "fbank", "mfcc")
KALDI_FLOOR = float(np.finfo(np.float32).eps)  # 1.1920929e-07, Kaldi's log floor
LOGMEL_FLOOR = 1e-10


@dataclasses.dataclass(frozen=True)
class FeatureConfig:
    """What ``FeatureExtractor`` computes.

    ``logmel``: Hann window, power spectrum, HTK mel filters from 0 Hz to Nyquist, ``log(max(m, 1e-10))``
    (TERA's input, Liu et al. 2021). ``fbank``: Kaldi's ``compute-fbank-feats`` with dither 0: input scaled to
    16-bit range, DC offset removed per frame, pre-emphasis 0.97, Povey window, FFT size rounded up to a power
    of two, Kaldi mel filters from 20 Hz, ``log(max(m, 1.19e-7))``. ``mfcc``: Kaldi's ``compute-mfcc-feats``
    without energy: ``n_mfcc`` orthonormal DCT-II coefficients of the ``n_mels`` fbank, liftered by
    ``1 + 22/2 · sin(π n / 22)`` (HuBERT's iteration-1 input, ``n_mels=23``). ``deltas`` appends first (and
    second) order regression deltas; ``cmvn`` normalises each feature by the utterance's (valid frames') or
    the training set's mean and standard deviation. ``target_db`` first scales each waveform to that RMS level.
    """

    kind: Literal["logmel", "fbank", "mfcc"] = "logmel"
    sample_rate: int = 16000
    n_mels: int = 80
    n_mfcc: int = 13
    win_ms: float = 25.0
    hop_ms: float = 10.0
    deltas: int = 0
    delta_window: int = 2
    cmvn: Literal["utterance", "global", "none"] = "utterance"
    target_db: float | None = None
    global_mean: tuple[float, ...] | None = None
    global_std: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RecipeError(f"features must be one of {KINDS}, got {self.kind!r}.")
        if self.cmvn not in ("utterance", "global", "none"):
            raise RecipeError(f"cmvn must be 'utterance', 'global' or 'none', got {self.cmvn!r}.")
        if self.deltas not in (0, 1, 2):
            raise RecipeError(f"deltas must be 0, 1 or 2, got {self.deltas!r}.")
        if self.kind == "mfcc" and not 0 < self.n_mfcc <= self.n_mels:
            raise RecipeError(f"n_mfcc ({self.n_mfcc}) must lie in [1, n_mels={self.n_mels}].")
        if self.win_length < 2 or self.hop_length < 1 or self.hop_length > self.win_length:
            raise RecipeError(f"win_ms={self.win_ms} and hop_ms={self.hop_ms} give no valid framing at {self.sample_rate} Hz.")

    @property
    def win_length(self) -> int:
        return round(self.sample_rate * self.win_ms / 1000)

    @property
    def hop_length(self) -> int:
        return round(self.sample_rate * self.hop_ms / 1000)

    @property
    def n_fft(self) -> int:
        return 1 << (self.win_length - 1).bit_length() if self.kind != "logmel" else self.win_length

    @property
    def base_dim(self) -> int:
        return self.n_mfcc if self.kind == "mfcc" else self.n_mels

    @property
    def dim(self) -> int:
        """Feature dimension: the base features times (1 + deltas)."""
        return self.base_dim * (1 + self.deltas)

    def num_frames(self, num_samples: Tensor | int) -> Tensor | int:
        """``1 + (S − win) // hop`` frames for ``S >= win`` samples, else 0."""
        if isinstance(num_samples, Tensor):
            return torch.where(num_samples >= self.win_length, 1 + (num_samples - self.win_length) // self.hop_length, 0)
        return 1 + (num_samples - self.win_length) // self.hop_length if num_samples >= self.win_length else 0

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


class FeatureExtractor(nn.Module):
    """``(waveform (N, S), num_samples (N,)) -> (features (N, T, F), num_frames (N,))``; padded frames are 0.

    Holds no learned parameters; its filters are buffers that follow the module to the batch's device.
    """

    def __init__(self, config: FeatureConfig) -> None:
        super().__init__()
        self.config = config
        kaldi = config.kind != "logmel"
        n_bins = config.n_fft // 2 + 1
        analysis_window = window(config.win_length, "povey" if kaldi else "hann", periodic=not kaldi)
        filters = mel_filter_bank(n_bins, config.n_mels, 20.0 if kaldi else 0.0, config.sample_rate / 2, config.sample_rate,
                                  scale="kaldi" if kaldi else "htk", triangles_in_mel=kaldi)
        self.register_buffer("window", torch.as_tensor(analysis_window, dtype=torch.float32), persistent=False)
        self.register_buffer("mel_filters", torch.as_tensor(filters, dtype=torch.float32), persistent=False)
        if config.kind == "mfcc":
            basis = dct(np.eye(config.n_mels), type=2, norm="ortho", axis=1)[:, : config.n_mfcc]  # row j: DCT of e_j
            lifter = 1.0 + 11.0 * np.sin(np.pi * np.arange(config.n_mfcc) / 22.0)
            self.register_buffer("dct", torch.as_tensor(basis * lifter, dtype=torch.float32), persistent=False)
        if config.cmvn == "global":
            if config.global_mean is None or config.global_std is None or len(config.global_mean) != config.dim:
                raise RecipeError("cmvn='global' needs global_mean and global_std of the feature dimension; fit the modality first.")
            self.register_buffer("global_mean", torch.tensor(config.global_mean, dtype=torch.float32), persistent=False)
            self.register_buffer("global_std", torch.tensor(config.global_std, dtype=torch.float32), persistent=False)

    def forward(self, waveform: Tensor, num_samples: Tensor | None = None) -> tuple[Tensor, Tensor]:
        config = self.config
        if waveform.dim() != 2 or not waveform.is_floating_point():
            raise InvalidDataError(f"FeatureExtractor expects a float waveform batch (N, S), got {waveform.dtype} {tuple(waveform.shape)}.")
        n, length = waveform.shape
        if num_samples is None:
            num_samples = torch.full((n,), length, device=waveform.device, dtype=torch.long)
        sample_valid = torch.arange(length, device=waveform.device) < num_samples[:, None]
        wave = waveform.float() * sample_valid
        if config.target_db is not None:
            rms = (wave.pow(2).sum(1) / num_samples.clamp(min=1)).sqrt()
            wave = wave * (10.0 ** (config.target_db / 20.0) / (rms + 1e-8))[:, None]
        if config.kind != "logmel":
            wave = wave * 32768.0  # Kaldi reads 16-bit integers
        if length < config.win_length:
            wave = nn.functional.pad(wave, (0, config.win_length - length))
        frames = wave.unfold(1, config.win_length, config.hop_length)  # (N, T, win)
        if config.kind != "logmel":
            frames = frames - frames.mean(dim=-1, keepdim=True)
            frames = torch.cat([frames[..., :1] * (1 - 0.97), frames[..., 1:] - 0.97 * frames[..., :-1]], dim=-1)
        spectrum = torch.fft.rfft(frames * self.window, n=config.n_fft).abs().pow(2)
        mel = spectrum @ self.mel_filters
        features = mel.clamp(min=KALDI_FLOOR if config.kind != "logmel" else LOGMEL_FLOOR).log()
        if config.kind == "mfcc":
            features = features @ self.dct
        num_frames = config.num_frames(num_samples)
        valid = torch.arange(features.shape[1], device=features.device) < num_frames[:, None]
        if config.deltas:
            first = regression_deltas(features, num_frames, config.delta_window)
            parts = [features, first] + ([regression_deltas(first, num_frames, config.delta_window)] if config.deltas == 2 else [])
            features = torch.cat(parts, dim=-1)
        features = normalise(features, valid, config, getattr(self, "global_mean", None), getattr(self, "global_std", None))
        return features * valid[..., None], num_frames


def regression_deltas(x: Tensor, num_frames: Tensor, window: int = 2) -> Tensor:
    """Kaldi / HTK deltas ``d_t = Σ_{k=1..K} k (x_{t+k} − x_{t−k}) / (2 Σ k²)``, with each utterance's first
    and last valid frames repeated past its ends (so padding never leaks in)."""
    t = x.shape[1]
    offsets = torch.arange(-window, window + 1, device=x.device)
    last = (num_frames - 1).clamp(min=0)
    index = (torch.arange(t, device=x.device)[None, :, None] + offsets).clamp(min=0)
    index = torch.minimum(index, last[:, None, None]).clamp(max=t - 1)  # (N, T, 2K+1)
    gathered = x.gather(1, index.flatten(1)[..., None].expand(-1, -1, x.shape[-1])).view(*index.shape, x.shape[-1])
    weights = offsets.to(x.dtype) / (2 * sum(k * k for k in range(1, window + 1)))
    return (gathered * weights[None, None, :, None]).sum(dim=2)


def normalise(features: Tensor, valid: Tensor, config: FeatureConfig, mean: Tensor | None, std: Tensor | None) -> Tensor:
    """CMVN: ``(x − μ) / max(σ, 1e-5)`` with μ, σ over the utterance's valid frames (population σ) or fitted globally."""
    if config.cmvn == "none":
        return features
    if config.cmvn == "global":
        return (features - mean) / std.clamp(min=1e-5)
    weight = valid[..., None].to(features.dtype)
    count = weight.sum(dim=1, keepdim=True).clamp(min=1.0)
    mu = (features * weight).sum(dim=1, keepdim=True) / count
    var = ((features - mu).pow(2) * weight).sum(dim=1, keepdim=True) / count
    return (features - mu) / var.sqrt().clamp(min=1e-5)


def frame_mask(num_frames: Tensor, length: int) -> Tensor:
    """Bool ``(N, length)``, True at real frames."""
    return torch.arange(length, device=num_frames.device) < num_frames[:, None]
