"""Rotation: one random 3-D rotation per window, applied to each (x, y, z) channel group."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import InvalidDataError, RecipeError
from multissl.views.base import View, ViewGenerator


def random_rotations(n: int, generator: torch.Generator, device: torch.device, dtype: torch.dtype) -> Tensor:
    """(n, 3, 3) rotations uniform on SO(3): normalised Gaussian quaternions (Shoemake 1992)."""
    q = torch.randn(n, 4, generator=generator, device=device, dtype=dtype)
    w, x, y, z = torch.nn.functional.normalize(q, dim=1).unbind(1)
    return torch.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
        2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
        2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
    ], dim=1).view(n, 3, 3)


@dataclasses.dataclass(frozen=True)
class Rotation(ViewGenerator):
    """``x'[n, t, g] = R_n x[n, t, g]`` for each channel triple ``g`` in ``groups`` (the same ``R_n`` for all
    groups of a window, as one device rotated on the body; Um et al. 2017)."""

    groups: tuple[tuple[int, ...], ...] = ((0, 1, 2),)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(tuple(int(c) for c in g) for g in self.groups))
        if any(len(g) != 3 for g in self.groups):
            raise RecipeError(f"sensor_rotation groups must be channel triples (x, y, z), got {self.groups}.")

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        if x.dim() != 3 or max(max(g) for g in self.groups) >= x.shape[2]:
            raise InvalidDataError(f"sensor_rotation groups {self.groups} do not fit data of shape {tuple(x.shape)}.")
        rotation = random_rotations(x.shape[0], generator, x.device, x.dtype)
        out = x.clone()
        for group in self.groups:
            rotated = torch.einsum("nij,ntj->nti", rotation, x[..., list(group)])
            out[..., list(group)] = torch.where(valid[..., None], rotated, x[..., list(group)])
        return View(out, None)
