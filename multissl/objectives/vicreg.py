"""VICReg: variance, invariance and covariance terms on two views' embeddings."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from multissl.objectives.view_pair import gather_view_pair
from multissl.errors import RecipeError


class VICReg(nn.Module):
    """Variance-Invariance-Covariance regularisation (Bardes et al. 2022).

    Over the global batch of N samples of dimension D: invariance ``mean((z1 - z2)²)``; variance
    ``Σ_views mean_d(relu(1 - sqrt(Var(z_d) + eps))) / 2``; covariance ``Σ_views Σ_{i≠j} Cov(z)_ij² / D``
    (unbiased estimates). ``L = invariance_weight·inv + variance_weight·var + covariance_weight·cov``.
    """

    def __init__(
        self,
        invariance_weight: float = 25.0,
        variance_weight: float = 25.0,
        covariance_weight: float = 1.0,
        eps: float = 1e-4,
    ):
        super().__init__()
        if min(invariance_weight, variance_weight, covariance_weight) < 0 or eps <= 0:
            raise RecipeError("VICReg weights must be non-negative and eps positive.")
        self.invariance_weight = float(invariance_weight)
        self.variance_weight = float(variance_weight)
        self.covariance_weight = float(covariance_weight)
        self.eps = float(eps)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z1, z2 = gather_view_pair(z1, z2, "VICReg")
        n, dim = z1.shape
        invariance = F.mse_loss(z1, z2)
        z1, z2 = z1 - z1.mean(0), z2 - z2.mean(0)
        variance = sum(F.relu(1 - torch.sqrt(z.var(0) + self.eps)).mean() for z in (z1, z2)) / 2
        covariance = sum(_off_diagonal(z.T @ z / (n - 1)).pow(2).sum() for z in (z1, z2)) / dim
        loss = (
            self.invariance_weight * invariance
            + self.variance_weight * variance
            + self.covariance_weight * covariance
        )
        logs = {
            "loss": loss.detach(),
            "invariance": invariance.detach(),
            "variance": variance.detach(),
            "covariance": covariance.detach(),
        }
        return loss, logs


def _off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    """The off-diagonal entries of a square matrix, flattened."""
    d = matrix.shape[0]
    return matrix.flatten()[:-1].view(d - 1, d + 1)[:, 1:].flatten()
