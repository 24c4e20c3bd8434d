"""The view contract: a generator turns a batch into a new, partly hidden or altered, copy of it."""

from __future__ import annotations

import abc
import dataclasses

import torch
from torch import Tensor

from multissl.errors import InvalidDataError, RecipeError


@dataclasses.dataclass(frozen=True, eq=False)
class View:
    """A generated view of a batch.

    ``data`` is a new tensor shaped like the input (the input is never mutated). ``mask`` is a bool
    tensor whose shape is a prefix of ``data.shape`` — ``(N,)`` per sample, ``(N, L)`` per feature of
    ``(N, F)`` vectors or per frame of ``(N, T, F)`` sequences, ``(N, T, F)`` per value — True where the
    generator hid or altered that sample, position or value; None when nothing is singled out (e.g. noise
    on everything).
    """

    data: Tensor
    mask: Tensor | None

    def __post_init__(self) -> None:
        if self.mask is None:
            return
        shape = tuple(self.mask.shape)
        if self.mask.dtype != torch.bool or not shape or shape != tuple(self.data.shape[: len(shape)]):
            raise InvalidDataError(
                f"A View's mask must be bool with a shape that starts data's shape {tuple(self.data.shape)} "
                f"(e.g. {tuple(self.data.shape[:2])}), got {self.mask.dtype} of shape {shape}."
            )


class ViewGenerator(abc.ABC):
    """``(x, generator, valid=None) -> View``: pure, vectorised over the batch, seeded by ``generator``.

    ``x`` is ``(N, L)`` or ``(N, L, ...)``; a position is one index along dimension 1 (with its whole
    trailing slice). ``valid`` is an optional bool ``(N, L)`` marking real (non-padding) positions:
    generators never select, and never alter, the others. All randomness is drawn from ``generator``
    on ``x``'s device, so the same seed gives the same view. Subclasses implement :meth:`make_view`.
    """

    def __call__(self, x: Tensor, generator: torch.Generator, *, valid: Tensor | None = None) -> View:
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.dim() < 2:
            raise InvalidDataError(
                f"{name} expects a tensor of shape (N, L) or (N, L, ...), got {type(x).__name__} "
                f"of shape {tuple(getattr(x, 'shape', ()))}."
            )
        if generator.device != x.device:
            raise InvalidDataError(
                f"{name} got a generator on {generator.device} for data on {x.device}; "
                f"create the generator on the data's device: torch.Generator(device=x.device)."
            )
        if valid is None:
            valid = torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        elif valid.dtype != torch.bool or valid.shape != x.shape[:2] or valid.device != x.device:
            raise InvalidDataError(
                f"{name} expects valid as a bool tensor of shape {tuple(x.shape[:2])} on {x.device}, "
                f"got {valid.dtype} of shape {tuple(valid.shape)} on {valid.device}."
            )
        return self.make_view(x, generator, valid)

    @abc.abstractmethod
    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        """The view of checked ``x``; ``valid`` is always a bool ``(N, L)`` tensor here."""


def choose_positions(allowed: Tensor, counts: Tensor, generator: torch.Generator) -> Tensor:
    """Bool ``(N, L)``: per row, ``min(counts[i], allowed[i].sum())`` positions drawn uniformly without
    replacement among the allowed ones (random scores, disallowed -> +inf, the lowest ``counts`` win)."""
    n, length = allowed.shape
    scores = torch.rand(allowed.shape, generator=generator, device=allowed.device).masked_fill(~allowed, float("inf"))
    counts = torch.minimum(counts, allowed.sum(dim=1))
    first_in_order = torch.arange(length, device=allowed.device).expand(n, length) < counts[:, None]
    return torch.zeros_like(allowed).scatter(1, scores.argsort(dim=1), first_in_order)


def rounded_count(ratio: float, n_valid: Tensor) -> Tensor:
    """``round(ratio × n_valid)`` per row, half to even as Python's ``round`` (computed in float64)."""
    return torch.round(n_valid.double() * ratio).long()


def fill(x: Tensor, mask: Tensor, value: float, who: str) -> Tensor:
    """A copy of ``x`` with every position where ``mask`` (N, L) is True (whole trailing slice) set to ``value``."""
    if not (x.is_floating_point() or x.is_complex()) and not float(value).is_integer():
        raise InvalidDataError(f"{who} cannot write the non-integer value {value} into {x.dtype} data; pass an integer value.")
    return x.masked_fill(broadcastable(mask, x), value)


def mask_union(first: Tensor, second: Tensor) -> Tensor:
    """``first | second`` for masks whose shapes are prefixes of one data shape (the shorter broadcast over the rest)."""
    if first.dim() < second.dim():
        first, second = second, first
    return first | broadcastable(second, first)


def broadcastable(mask: Tensor, x: Tensor) -> Tensor:
    """``mask`` (N, L) (or any prefix of ``x``'s shape) reshaped to broadcast over ``x``'s trailing dimensions."""
    return mask.view(*mask.shape, *([1] * (x.dim() - mask.dim())))


def check_ratio(value: float, name: str, who: str) -> None:
    """Raise :class:`RecipeError` unless ``0 <= value <= 1``."""
    if not 0.0 <= value <= 1.0:
        raise RecipeError(f"{who} {name} must be in [0, 1], got {value}.")
