"""SimGCL: LightGCN + BPR with a contrast between two noise-perturbed propagations.

Yu et al. 2022 (SimGCL): at every layer ``e^{(l)} = Â e^{(l-1)} + Δ^{(l)}`` with
``Δ = ε · sign(e^{(l)}) ⊙ Δ̄ / ‖Δ̄‖``, ``Δ̄ ~ U(0, 1)`` per node; the view is the mean of layers 1..L
(the paper skips layer 0 in the views). Recommendation uses the clean LightGCN; ``L = L_BPR + λ L_cl``
with :func:`multissl_recsys.graph_contrast.view_contrast` (core InfoNCE, temperature τ). Defaults are
the paper's: ε 0.1, λ 0.2, τ 0.2.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
import torch.nn.functional as F

from multissl.errors import RecipeError
from multissl_recsys.adjacency import batch_adjacency
from multissl_recsys.graph_contrast import ContrastiveLightGCN, ContrastiveLightGCNConfig


@dataclasses.dataclass
class SimGCLConfig(ContrastiveLightGCNConfig):
    """Options of ``simgcl``."""

    eps: float = 0.1
    ssl_weight: float = 0.2


class SimGCL(ContrastiveLightGCN):
    """SimGCL: uniform noise views, no graph augmentation."""

    Config = SimGCLConfig

    def __init__(self, config: SimGCLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if not config.eps > 0:
            raise RecipeError(f"simgcl eps must be positive, got {config.eps}.")

    def perturbed(self, adjacency: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One noisy view: (U, D) user and (I, D) item embeddings."""
        x = self.model.embedding.weight
        total = torch.zeros_like(x)
        for conv in self.model.convs:
            x = conv(x, adjacency)
            noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x = x + self.config.eps * torch.sign(x) * F.normalize(noise, dim=-1)
            total = total + x
        total = total / len(self.model.convs)
        return total[: self.n_users], total[self.n_users:]

    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        adjacency = batch_adjacency(batch)
        generator = self.generator(adjacency.device)
        return self.contrast_views(self.perturbed(adjacency, generator), self.perturbed(adjacency, generator), batch)
