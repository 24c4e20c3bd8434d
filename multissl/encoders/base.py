"""The encoder contract: an ``nn.Module`` with ``output_dim``, per-token/per-sample ``forward``, pooled ``embed``."""

from __future__ import annotations

import abc

from torch import Tensor, nn

from multissl.errors import InvalidDataError


class Encoder(nn.Module, abc.ABC):
    """Maps a batch to representations: ``forward`` gives per-token (N, T, D) or per-sample (N, D)
    outputs, ``embed`` gives pooled (N, D) embeddings with ``D = output_dim``."""

    output_dim: int

    @abc.abstractmethod
    def embed(self, x: Tensor, *args, **kwargs) -> Tensor:
        """Pooled ``(N, output_dim)`` embeddings of ``x``."""


def check_input(x: Tensor, layout: str, width: int, who: str) -> None:
    """Raise :class:`InvalidDataError` unless ``x`` is a floating tensor of rank ``len(layout)`` whose last
    dimension is ``width``; ``layout`` names the dimensions, e.g. ``"NTF"``."""
    expected = "(" + ", ".join(layout[:-1]) + f", {width})"
    if not isinstance(x, Tensor):
        raise InvalidDataError(f"{who} expects a tensor of shape {expected}, got {type(x).__name__}.")
    if x.dim() != len(layout) or x.shape[-1] != width:
        raise InvalidDataError(f"{who} expects a tensor of shape {expected}, got {tuple(x.shape)}.")
    if not x.is_floating_point():
        raise InvalidDataError(f"{who} expects floating-point input, got {x.dtype}; convert it with x.float().")
