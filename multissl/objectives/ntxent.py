"""SimCLR's symmetric NT-Xent, as two InfoNCE passes."""

from __future__ import annotations

import torch
from torch import nn

from multissl.errors import InvalidDataError
from multissl.objectives.infonce import InfoNCE


class NTXent(nn.Module):
    """Normalized temperature-scaled cross entropy (Chen et al. 2020, SimCLR).

    Over the 2N embeddings of two views, each anchor's positive is the other view of its sample and
    its negatives are the other 2N-2 embeddings:
    ``L = 1/2N Σ_k -log(e^{cos(z_k, z_k+)/t} / Σ_{m≠k} e^{cos(z_k, z_m)/t})``, computed as InfoNCE of
    ``z1`` against keys ``[z2, z1]`` with positive weights ``[1, 0]``, averaged with the roles swapped.
    """

    def __init__(self, temperature: float = 0.5):
        super().__init__()
        self.infonce = InfoNCE(temperature=temperature, normalize=True)

    def forward(self, z1: torch.Tensor, z2: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if z1.dim() != 2 or z1.shape != z2.shape:
            raise InvalidDataError(
                "NTXent expects two views of shape (N, D) with equal shapes, "
                f"got {tuple(z1.shape)} and {tuple(z2.shape)}."
            )
        other_view_only = z1.new_tensor([1.0, 0.0])
        loss_12, logs_12 = self.infonce(z1, torch.stack([z2, z1], dim=1), positive_weights=other_view_only)
        loss_21, logs_21 = self.infonce(z2, torch.stack([z1, z2], dim=1), positive_weights=other_view_only)
        loss = (loss_12 + loss_21) / 2
        logs = {name: (logs_12[name] + logs_21[name]) / 2 for name in logs_12}
        logs["loss"] = loss.detach()
        return loss, logs
