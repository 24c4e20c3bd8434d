"""Two-view joint-embedding methods built only from core parts: SimCLR, VICReg, Barlow Twins.

Two views of each sample come from the configured view generators; the encoder's pooled embedding
and a projection MLP map both; the objective pulls the two projections together. Any modality can use
them through its generic input (:mod:`multissl.methods.generic_input`), with the encoder and views its
recipe (or its ``method_defaults``) names. The embedding is the encoder output
(before the projector), as in Chen et al. 2020 (SimCLR), Bardes et al. 2022 (VICReg) and
Zbontar et al. 2021 (Barlow Twins).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input, build_objective, build_views, projection_mlp
from multissl.methods.generic_input import apply_views


def _default_views() -> list[dict[str, Any]]:
    return [{"name": "marginal_corruption", "ratio": 0.3}, {"name": "gaussian_noise", "std": 0.1}]


@dataclasses.dataclass
class ViewPairConfig:
    """Options every method comparing two views of a sample shares: how batches are read, the encoder, the views,
    the projector (SimCLR, VICReg, Barlow Twins, BYOL)."""

    input: str = "x"
    """The registered generic-method input that reads the modality's batches (``multissl.methods.generic_input``)."""
    encoder: str = "mlp"
    """A registered encoder name."""
    encoder_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword options of the encoder (e.g. ``hidden_dims``, ``output_dim``)."""
    views: list[dict[str, Any]] = dataclasses.field(default_factory=_default_views)
    """View generators applied in order to make each of the two views (``[{name: ..., option: ...}]``)."""
    projector_dims: list[int] = dataclasses.field(default_factory=lambda: [256, 128])
    """Widths of the projection MLP after the encoder (``[]``: no projector)."""


@dataclasses.dataclass
class TwoViewConfig(ViewPairConfig):
    """Options of the two-view methods (recipe ``method`` block)."""

    objective_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword options of the objective (e.g. NT-Xent's ``temperature``)."""


class TwoViewMethod(Method):
    """Encoder + projector trained so two views of a sample agree under ``objective_name``."""

    Config = TwoViewConfig
    objective_name = "ntxent"

    def __init__(self, config: TwoViewConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.input = build_input(config.input, input_spec)
        self.views = build_views(config.views)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.projector = projection_mlp(self.encoder.output_dim, config.projector_dims)
        self.objective = build_objective(self.objective_name, config.objective_options)

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        generator = self.generator(inputs.x.device)
        first, second = (apply_views(self.views, inputs, generator).inputs for _ in range(2))
        project = lambda view: self.projector(self.input.embed(self.encoder, view))  # noqa: E731
        return self.objective(project(first), project(second))

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))


class SimCLR(TwoViewMethod):
    """SimCLR: NT-Xent between the projections of two views (Chen et al. 2020)."""

    objective_name = "ntxent"


class VICRegMethod(TwoViewMethod):
    """VICReg: invariance + variance + covariance regularisation (Bardes et al. 2022)."""

    objective_name = "vicreg"


class BarlowTwinsMethod(TwoViewMethod):
    """Barlow Twins: cross-correlation of the two projections pushed to identity (Zbontar et al. 2021)."""

    objective_name = "barlow_twins"

