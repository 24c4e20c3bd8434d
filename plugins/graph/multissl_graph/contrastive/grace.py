"""GRACE: graph contrastive representation learning (Zhu et al. 2020; reference github.com/CRIPAC-DIG/GRACE).

Two views of the graph, each with its own edge-drop and feature-mask rates, go through a shared GCN; a projection
``g(h) = W₂ ELU(W₁ h)`` maps both; each node's positive is itself in the other view and its negatives are every other
node of both views (inter- and intra-view):
``ℓ(u_i, v_i) = −log e^{θ(u_i,v_i)/τ} / (e^{θ(u_i,v_i)/τ} + Σ_{k≠i} e^{θ(u_i,v_k)/τ} + Σ_{k≠i} e^{θ(u_i,u_k)/τ})``,
``θ`` the cosine, averaged over both directions (:class:`~multissl_graph.contrastive.grace_loss.GRACELoss`). The
embedding is the encoder's output (before the projection).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input, build_views
from multissl.methods.generic_input import apply_views
from multissl_graph.contrastive.grace_loss import GRACELoss


@dataclasses.dataclass
class GRACEConfig:
    """Options of ``grace`` (recipe ``method`` block); the defaults are the paper's Cora settings."""

    input: str = "graph_nodes"
    encoder: str = "gcn_stack"
    encoder_options: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"hidden_dims": [256, 128], "activation": "relu"}
    )
    first_views: list[dict[str, Any]] = dataclasses.field(
        default_factory=lambda: [{"name": "graph_edge_drop", "p": 0.2}, {"name": "graph_feature_mask", "p": 0.3}]
    )
    second_views: list[dict[str, Any]] = dataclasses.field(
        default_factory=lambda: [{"name": "graph_edge_drop", "p": 0.4}, {"name": "graph_feature_mask", "p": 0.4}]
    )
    projection_dim: int = 128
    temperature: float = 0.4


class GRACE(Method):
    """Two differently corrupted views, projected and contrasted node by node with NT-Xent."""

    Config = GRACEConfig
    optimizer_defaults = {"lr": 5e-4, "weight_decay": 1e-5, "warmup_fraction": 0.0, "schedule": "constant"}
    trainer_defaults = {"max_epochs": 200}

    def __init__(self, config: GRACEConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.input = build_input(config.input, input_spec)
        self.first_views = build_views(config.first_views)
        self.second_views = build_views(config.second_views)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        width = self.encoder.output_dim
        self.projector = nn.Sequential(nn.Linear(width, config.projection_dim), nn.ELU(), nn.Linear(config.projection_dim, width))
        self.objective = GRACELoss(config.temperature)

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        inputs = self.input.inputs(batch)
        generator = self.generator(inputs.x.device)
        first, second = (apply_views(views, inputs, generator).inputs for views in (self.first_views, self.second_views))
        project = lambda view: self.projector(self.input.embed(self.encoder, view))  # noqa: E731
        return self.objective(project(first), project(second))

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
