"""CCA-SSG (Zhang et al. 2021, "From canonical correlation analysis to self-supervised graph neural networks";
reference github.com/hengruizhang98/CCA-SSG): the objective, and the method it makes with the core's two-view
method.

Each view's embeddings are standardised per dimension over the nodes, ``z = (h − μ) / (σ √N)``; then
``L = −tr(Z_AᵀZ_B) + λ (‖Z_AᵀZ_A − I‖²_F + ‖Z_BᵀZ_B − I‖²_F)``: invariance between the views plus decorrelation
within each. Neither VICReg (variance hinge, covariance of the projections) nor Barlow Twins (the cross-correlation
pushed to the identity) is this loss, so it is its own objective. The method is the core's two-view method with
this objective, no projector, and graph views (edge dropping, feature masking, the same rates for both views).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.distributed import gather_with_grad
from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.two_view import TwoViewConfig, TwoViewMethod


class CCASSGLoss(nn.Module):
    """``−tr(Z_AᵀZ_B) + λ (‖Z_AᵀZ_A − I‖² + ‖Z_BᵀZ_B − I‖²)`` over the global batch (views gathered across processes)."""

    def __init__(self, lambd: float = 1e-3, eps: float = 1e-8):
        super().__init__()
        if lambd < 0:
            raise RecipeError(f"cca_ssg lambd must be non-negative, got {lambd}.")
        self.lambd, self.eps = float(lambd), float(eps)

    def forward(self, h1: torch.Tensor, h2: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if h1.dim() != 2 or h1.shape != h2.shape or h1.shape[0] < 2:
            raise InvalidDataError(
                f"CCASSGLoss expects two views of shape (N, D) with N >= 2 and equal shapes, got {tuple(h1.shape)} and {tuple(h2.shape)}."
            )
        z1, z2 = (self.standardise(gather_with_grad(h)) for h in (h1, h2))
        identity = torch.eye(z1.shape[1], dtype=z1.dtype, device=z1.device)
        invariance = -(z1 * z2).sum()
        decorrelation = (identity - z1.T @ z1).pow(2).sum() + (identity - z2.T @ z2).pow(2).sum()
        loss = invariance + self.lambd * decorrelation
        return loss, {"loss": loss.detach(), "invariance": invariance.detach(), "decorrelation": decorrelation.detach()}

    def standardise(self, h: torch.Tensor) -> torch.Tensor:
        """``(h − μ) / (σ √N)`` per dimension (σ the unbiased standard deviation, as the reference)."""
        return (h - h.mean(dim=0)) / (h.std(dim=0) + self.eps) / h.shape[0] ** 0.5


def _cca_ssg_views() -> list[dict[str, Any]]:
    return [{"name": "graph_edge_drop", "p": 0.4}, {"name": "graph_feature_mask", "p": 0.1}]


@dataclasses.dataclass
class CCASSGConfig(TwoViewConfig):
    """Options of ``cca_ssg``; defaults from the reference's Cora settings (2 GCN layers of 512, der 0.4, dfr 0.1)."""

    input: str = "graph_nodes"
    encoder: str = "gcn_stack"
    encoder_options: dict[str, Any] = dataclasses.field(
        default_factory=lambda: {"hidden_dims": [512, 512], "activation": "relu", "final_activation": False}
    )
    views: list[dict[str, Any]] = dataclasses.field(default_factory=_cca_ssg_views)
    projector_dims: list[int] = dataclasses.field(default_factory=list)
    objective_options: dict[str, Any] = dataclasses.field(default_factory=lambda: {"lambd": 1e-3})


class CCASSG(TwoViewMethod):
    """The core two-view method with the CCA-SSG objective on graph views."""

    Config = CCASSGConfig
    objective_name = "cca_ssg"
    optimizer_defaults = {"lr": 1e-3, "weight_decay": 0.0, "warmup_fraction": 0.0, "schedule": "constant"}
    trainer_defaults = {"max_epochs": 50}
