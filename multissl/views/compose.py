"""Chain view generators."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl.views.base import View, ViewGenerator, mask_union


class Compose(ViewGenerator):
    """Apply ``generators`` in order, each to the previous one's data (same ``generator`` and ``valid``);
    ``mask`` is the logical OR of the non-None masks, None when all are None."""

    def __init__(self, *generators: ViewGenerator):
        if not generators or not all(isinstance(g, ViewGenerator) for g in generators):
            raise RecipeError(f"Compose needs one or more view generators, got {generators!r}.")
        self.generators = tuple(generators)

    def make_view(self, x: Tensor, generator: torch.Generator, valid: Tensor) -> View:
        mask = None
        for step in self.generators:
            view = step(x, generator, valid=valid)
            x = view.data
            if view.mask is not None:
                mask = view.mask if mask is None else mask_union(mask, view.mask)
        return View(x, mask)

    def __repr__(self) -> str:
        return f"Compose({', '.join(repr(g) for g in self.generators)})"
