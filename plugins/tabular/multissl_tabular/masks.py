"""T-JEPA's context and target column subsets, drawn per row on the batch's device without Python loops."""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from multissl.errors import InvalidDataError, RecipeError

CANDIDATE_SIZES = 64
"""Size pairs drawn at once for the rejection step; one fits with near certainty (see ``sizes``)."""


@dataclasses.dataclass
class FeatureMaskOptions:
    """Per batch, sizes ``n_ctx = max(1, round(u·d))``, u ~ U[context_min, context_max], and
    ``n_tgt = max(1, round(v·d))``, v ~ U[target_min, target_max], redrawn until ``n_ctx + n_tgt <= d``
    (the T-JEPA reference's defaults and rule). Per row: ``n_ctx`` context columns drawn uniformly, then
    ``n_targets`` target sets of ``n_tgt`` columns each drawn uniformly from the non-context columns.
    Indices are column indices in ``[0, d)``; [REG] tokens are not columns and are never drawn.
    """

    context_min: float = 0.136
    context_max: float = 0.368
    target_min: float = 0.156
    target_max: float = 0.622
    n_targets: int = 4

    def __post_init__(self) -> None:
        if not (0 <= self.context_min <= self.context_max <= 1 and 0 <= self.target_min <= self.target_max <= 1):
            raise RecipeError(
                "T-JEPA mask ratios need 0 <= min <= max <= 1, got context "
                f"[{self.context_min}, {self.context_max}] and target [{self.target_min}, {self.target_max}]."
            )
        if self.n_targets < 1:
            raise RecipeError(f"T-JEPA n_targets must be >= 1, got {self.n_targets}.")

    def mask_options(self) -> dict[str, float | int]:
        """These options as keyword arguments (for a config that inherits them)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(FeatureMaskOptions)}


@dataclasses.dataclass
class FeatureMasks(FeatureMaskOptions):
    """Draws the context and target column subsets of :class:`FeatureMaskOptions`."""

    def sizes(self, n_features: int, generator: torch.Generator) -> tuple[int, int]:
        """``(n_ctx, n_tgt)`` for one batch: the first of ``CANDIDATE_SIZES`` drawn pairs that fits."""
        if n_features < 2:
            raise InvalidDataError(f"T-JEPA needs at least 2 feature columns (a context and a target), got {n_features}.")
        u = torch.rand(2, CANDIDATE_SIZES, generator=generator, device=generator.device, dtype=torch.float64).cpu()
        context = (self.context_min + (self.context_max - self.context_min) * u[0]) * n_features
        target = (self.target_min + (self.target_max - self.target_min) * u[1]) * n_features
        context, target = context.round().clamp(min=1).long(), target.round().clamp(min=1).long()
        fits = (context + target <= n_features).nonzero()
        if len(fits) == 0:
            raise InvalidDataError(
                f"No context/target sizes fit {n_features} columns in {CANDIDATE_SIZES} draws; lower the mask ratios."
            )
        first = int(fits[0])
        return int(context[first]), int(target[first])

    def __call__(self, n_rows: int, n_features: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Context ``(N, n_ctx)`` and targets ``(N, n_targets, n_tgt)`` column indices (long, on the generator's device)."""
        n_context, n_target = self.sizes(n_features, generator)
        device = generator.device
        order = torch.rand(n_rows, n_features, generator=generator, device=device).argsort(dim=1)
        context, rest = order[:, :n_context], order[:, n_context:]
        scores = torch.rand(n_rows, self.n_targets, n_features - n_context, generator=generator, device=device)
        picks = scores.argsort(dim=-1)[..., :n_target]
        targets = rest.gather(1, picks.flatten(1)).view(n_rows, self.n_targets, n_target)
        return context, targets
