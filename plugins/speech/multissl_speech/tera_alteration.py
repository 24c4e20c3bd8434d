"""TERA's input alteration (Liu, Li and Lee 2021; s3prl ``pretrain/mockingjay/task.py``) as a view generator,
vectorised on the device."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator, check_ratio
from multissl_speech.frequency_mask import frequency_band


@dataclasses.dataclass(frozen=True)
class TERAAlterationOptions:
    """The alteration's recipe options, checked on construction; :class:`TERAConfig` inherits them so a recipe
    passes them flat in its ``method`` block."""

    proportion: float = 0.15
    span: int = 7
    zero_probability: float = 0.8
    replace_probability: float = 0.1
    max_frequency: float = 0.2
    noise_probability: float = 0.15
    noise_std: float = 0.2

    def __post_init__(self) -> None:
        for name in ("proportion", "zero_probability", "replace_probability", "max_frequency", "noise_probability"):
            check_ratio(getattr(self, name), name, "TERA")
        if self.zero_probability + self.replace_probability > 1.0:
            raise RecipeError("TERA zero_probability + replace_probability must be at most 1.")
        if not isinstance(self.span, int) or self.span < 1 or self.noise_std < 0:
            raise RecipeError(f"TERA span must be a positive integer and noise_std >= 0, got {self.span}, {self.noise_std}.")

    def alteration_options(self) -> dict[str, float | int]:
        """These options alone, as keyword arguments for :class:`TERAAlteration`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(TERAAlterationOptions)}


@dataclasses.dataclass(frozen=True)
class TERAAlteration(TERAAlterationOptions, ViewGenerator):
    """Time, frequency and magnitude alteration of a feature batch ``x`` (N, T, F) with valid frames ``valid``;
    the view's ``mask`` (N, T, F) is True on time-altered frames and frequency-masked bins of valid frames, where
    the loss is counted.

    Time: per utterance ``round(T_i · proportion / span)`` spans of ``span`` frames start at distinct positions
    drawn uniformly from ``[0, T_i − span − 1]`` (overlap allowed, as the reference); then, per utterance,
    with probability 0.8 the chosen frames are zeroed, 0.1 replaced by the frames of as many other random spans,
    0.1 left as they are. Frequency: one block of ``U{0, ⌊max_frequency · F⌋}`` consecutive bins, starting
    uniformly, is zeroed on every frame. Magnitude: with probability ``noise_probability`` per utterance,
    ``N(0, noise_std²)`` noise is added to all its valid frames. An utterance too short for a span gets no time
    alteration (the reference asserts and crashes, s3prl#342). The span draw is written here rather than
    taken from the core ``SpanMask`` because the replacement policy needs the span starts, not only the mask.
    """

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        n, length, n_bins = x.shape
        device = x.device
        rand = lambda *shape: torch.rand(*shape, generator=generator, device=device)
        n_valid = valid.sum(dim=1)
        n_starts = (n_valid - self.span).clamp(min=0)  # starts in [0, T_i - span - 1]
        n_spans = torch.minimum(torch.round(n_valid.double() * self.proportion / self.span).long(), n_starts)
        most = max(1, round(length * self.proportion / self.span))
        # distinct starts: the first n_spans of a random permutation of [0, n_starts)
        keys = rand(n, max(length, 1)).masked_fill(torch.arange(max(length, 1), device=device) >= n_starts[:, None], 2.0)
        starts = keys.argsort(dim=1)[:, :most]
        active = torch.arange(most, device=device) < n_spans[:, None]
        offsets = torch.arange(self.span, device=device)
        frames = (starts[..., None] + offsets).flatten(1)  # (N, most·span)
        active_frames = active[..., None].expand(-1, -1, self.span).flatten(1)
        dest = torch.where(active_frames, frames, length)  # inactive spans write to a spare column
        time_mask = torch.zeros(n, length + 1, dtype=torch.bool, device=device).scatter(1, dest, True)[:, :length]

        dice = rand(n)
        zero = (dice < self.zero_probability)[:, None] & time_mask
        replace = (dice >= self.zero_probability) & (dice < self.zero_probability + self.replace_probability)
        other = (rand(n, most) * n_starts.clamp(min=1)[:, None]).long()  # replacement spans, same draw range
        other_frames = (other[..., None] + offsets).flatten(1)
        source = torch.arange(length + 1, device=device).expand(n, length + 1)
        source = source.scatter(1, torch.where(active_frames & replace[:, None], frames, length), other_frames)[:, :length]
        altered = x.gather(1, source[..., None].expand(-1, -1, n_bins)).masked_fill(zero[..., None], 0.0)

        freq_mask = frequency_band(n, n_bins, self.max_frequency, generator, device)  # (N, F)
        altered = altered.masked_fill(freq_mask[:, None, :], 0.0)

        noisy = rand(n) < self.noise_probability
        noise = torch.randn(x.shape, generator=generator, device=device) * self.noise_std
        altered = altered + noise * (noisy[:, None] & valid)[..., None]
        mask = (time_mask[..., None] | freq_mask[:, None, :]) & valid[..., None]
        return View(altered * valid[..., None], mask)
