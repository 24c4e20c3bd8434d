"""Barlow Twins: drive the cross-correlation of two views' embeddings to the identity."""

from __future__ import annotations

import torch
from torch import nn

from multissl.objectives.view_pair import gather_view_pair
from multissl.errors import RecipeError


class BarlowTwins(nn.Module):
    """Barlow Twins redundancy reduction (Zbontar et al. 2021).

    With each dimension of ``z1`` and ``z2`` standardised over the global batch of N samples
    (``(z - mean) / sqrt(var + eps)``, biased variance, as batch norm does), ``C = z1ᵀ z2 / N`` and
    ``L = Σ_i (1 - C_ii)² + λ Σ_{i≠j} C_ij²``.
    """

    def __init__(self, lambda_offdiag: float = 5.1e-3, eps: float = 1e-5):
        super().__init__()
        if lambda_offdiag < 0 or eps <= 0:
            raise RecipeError(f"BarlowTwins needs lambda_offdiag >= 0 and eps > 0, got {lambda_offdiag} and {eps}.")
        self.lambda_offdiag = float(lambda_offdiag)
        self.eps = float(eps)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        z1, z2 = gather_view_pair(z1, z2, "BarlowTwins")
        c = self._standardise(z1).T @ self._standardise(z2) / z1.shape[0]
        on_diagonal = (1 - c.diagonal()).pow(2).sum()
        off_diagonal = _off_diagonal(c).pow(2).sum()
        loss = on_diagonal + self.lambda_offdiag * off_diagonal
        logs = {"loss": loss.detach(), "on_diagonal": on_diagonal.detach(), "off_diagonal": off_diagonal.detach()}
        return loss, logs

    def _standardise(self, z: torch.Tensor) -> torch.Tensor:
        return (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + self.eps)


def _off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    """The off-diagonal entries of a square matrix, flattened."""
    d = matrix.shape[0]
    return matrix.flatten()[:-1].view(d - 1, d + 1)[:, 1:].flatten()
