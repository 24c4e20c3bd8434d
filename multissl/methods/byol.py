"""BYOL: an online network predicts a slowly moving target network's projection of another view.

Grill et al. 2020, "Bootstrap your own latent" (reference: github.com/deepmind/deepmind-research/tree/master/byol).
Online: encoder → projector → predictor. Target: an exponential moving average of the online encoder and
projector (:class:`~multissl.targets.ema_teacher.EMATeacher`, momentum from 0.996 to 1 along BYOL's cosine
schedule), updated after each optimiser step, never inside the loss. Loss, symmetrised over the two views:
``L = (2 − 2·cos(q(v₁), sg(z'(v₂)))) + (2 − 2·cos(q(v₂), sg(z'(v₁))))``. The embedding is the online encoder's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input, build_views, projection_mlp
from multissl.methods.generic_input import apply_views
from multissl.methods.two_view import ViewPairConfig
from multissl.objectives.byol import BYOLLoss
from multissl.targets.ema_teacher import EMATeacher


@dataclasses.dataclass
class BYOLConfig(ViewPairConfig):
    """Options of ``byol`` (recipe ``method`` block)."""

    predictor_dims: list[int] = dataclasses.field(default_factory=lambda: [256])
    """Hidden widths of the predictor MLP; its output has the projection's width."""
    momentum_start: float = 0.996
    momentum_end: float = 1.0
    momentum_schedule: str = "cosine"


class BYOL(Method):
    """Bootstrap Your Own Latent (Grill et al. 2020) on any modality's generic input."""

    Config = BYOLConfig

    def __init__(self, config: BYOLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.input = build_input(config.input, input_spec)
        self.views = build_views(config.views)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.projector = projection_mlp(self.encoder.output_dim, config.projector_dims)
        width = config.projector_dims[-1] if config.projector_dims else self.encoder.output_dim
        self.predictor = projection_mlp(width, [*config.predictor_dims, width])
        self.target_encoder = EMATeacher(self.encoder, config.momentum_start, config.momentum_end, config.momentum_schedule)
        self.target_projector = EMATeacher(self.projector, config.momentum_start, config.momentum_end, config.momentum_schedule)
        self.objective = BYOLLoss()

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        generator = self.generator(inputs.x.device)
        views = [apply_views(self.views, inputs, generator).inputs for _ in range(2)]
        predictions = [self.predictor(self.projector(self.input.embed(self.encoder, view))) for view in views]
        with torch.no_grad():
            targets = [self.target_projector(self.input.embed(self.target_encoder.teacher, view)) for view in views]
        first, first_logs = self.objective(predictions[0], targets[1])
        second, second_logs = self.objective(predictions[1], targets[0])
        loss = first + second
        return loss, {"loss": loss.detach(), "cosine": (first_logs["cosine"] + second_logs["cosine"]) / 2}

    def after_optimizer_step(self, steps: int) -> None:
        """The target follows the online network after each optimiser step (BYOL's τ schedule over all steps)."""
        total = self.trainer.estimated_stepping_batches
        momentum = self.target_encoder.update(self.encoder, steps, total)
        self.target_projector.update(self.projector, steps, total)
        self.log("train/ema_momentum", momentum, on_step=False, on_epoch=True, batch_size=1)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
