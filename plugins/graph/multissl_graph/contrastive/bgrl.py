"""BGRL: bootstrapped graph latents (Thakoor et al. 2022, "Large-scale representation learning on graphs via
bootstrapping"; reference github.com/nerdslab/bgrl).

BYOL on graphs without a projector: two views (edge dropping and feature masking, each view its own rates) go
through an online GCN encoder ``E_θ`` and a target encoder ``E_φ``, an exponential moving average of it
(``φ ← τφ + (1 − τ)θ`` after each step, ``τ`` from 0.99 to 1 along a half cosine; the core's
:class:`~multissl.targets.ema_teacher.EMATeacher`). As in the reference, the target starts from its own random
initialisation and its BatchNorm normalises each view by that view's own statistics (the reference's target network
runs in training mode). The online encoder's BatchNorm has the reference's momentum 0.99, so its running statistics,
which evaluation reads, are about those of the last training view. A predictor ``p_θ`` (Linear, PReLU, Linear) maps
online embeddings; ``L = (2 − 2 cos(p(E_θ(v₁)), sg E_φ(v₂))) + (2 − 2 cos(p(E_θ(v₂)), sg E_φ(v₁)))`` averaged over
nodes (the core's BYOL loss). The embedding is the online encoder's.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input, build_objective, build_views
from multissl.methods.generic_input import apply_views
from multissl.targets.ema_teacher import EMATeacher


@dataclasses.dataclass
class BGRLConfig:
    """Options of ``bgrl`` (recipe ``method`` block); defaults from the paper's transductive settings (WikiCS)."""

    input: str = "graph_nodes"
    encoder: str = "gcn_stack"
    encoder_options: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {
            "hidden_dims": [512, 256], "activation": "prelu_shared", "batch_norm": True, "batch_norm_momentum": 0.99,
        }
    )
    first_views: list[dict[str, Any]] = dataclasses.field(
        default_factory=lambda: [{"name": "graph_edge_drop", "p": 0.2}, {"name": "graph_feature_mask", "p": 0.2}]
    )
    second_views: list[dict[str, Any]] = dataclasses.field(
        default_factory=lambda: [{"name": "graph_edge_drop", "p": 0.3}, {"name": "graph_feature_mask", "p": 0.1}]
    )
    predictor_hidden_dim: int = 512
    momentum_start: float = 0.99
    momentum_end: float = 1.0
    target_batch_statistics: bool = True
    """The target encoder's BatchNorm normalises each view with its own statistics, as the reference's target
    network (run in training mode); False: with the running statistics copied from the online encoder."""
    reinitialize_target: bool = True
    """The target encoder starts from its own random initialisation, as the reference's; False: as a copy of the
    online encoder (BYOL)."""


class BGRL(Method):
    """An online GCN and predictor regress an EMA target GCN's embeddings of the other view."""

    Config = BGRLConfig
    optimizer_defaults = {"lr": 5e-4, "weight_decay": 1e-5, "warmup_fraction": 0.1, "schedule": "cosine"}
    trainer_defaults = {"max_epochs": 1000}

    def __init__(self, config: BGRLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.input = build_input(config.input, input_spec)
        self.first_views = build_views(config.first_views)
        self.second_views = build_views(config.second_views)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        width = self.encoder.output_dim
        self.predictor = nn.Sequential(
            nn.Linear(width, config.predictor_hidden_dim), nn.PReLU(), nn.Linear(config.predictor_hidden_dim, width)
        )
        self.target_encoder = EMATeacher(
            self.encoder, config.momentum_start, config.momentum_end, schedule="cosine", reinitialize=config.reinitialize_target
        )
        self.objective = build_objective("byol", {})

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        generator = self.generator(inputs.x.device)
        views = [apply_views(views, inputs, generator).inputs for views in (self.first_views, self.second_views)]
        predictions = [self.predictor(self.input.embed(self.encoder, view)) for view in views]
        statistics = self.target_encoder.batch_statistics() if self.config.target_batch_statistics else contextlib.nullcontext()
        with torch.no_grad(), statistics:
            targets = [self.input.embed(self.target_encoder.teacher, view) for view in views]
        first, first_logs = self.objective(predictions[0], targets[1])
        second, second_logs = self.objective(predictions[1], targets[0])
        loss = first + second
        return loss, {"loss": loss.detach(), "cosine": (first_logs["cosine"] + second_logs["cosine"]) / 2}

    def after_optimizer_step(self, steps: int) -> None:
        """The target encoder follows the online one after each optimiser step."""
        momentum = self.target_encoder.update(self.encoder, steps, self.trainer.estimated_stepping_batches)
        self.log("train/ema_momentum", momentum, on_step=False, on_epoch=True, batch_size=1)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
