"""RankMe: the effective rank of a set of embeddings, a label-free quality signal."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from multissl.eval.probe_data import as_embeddings


def rankme(embeddings: Any, eps: float = 1e-7) -> float:
    """RankMe (Garrido et al. 2023, eq. 1): with singular values σ_k of the (N, D) embeddings,
    ``p_k = σ_k / Σ_j σ_j + eps`` and ``RankMe = exp(−Σ_k p_k log p_k)``, between 1 and min(N, D).

    Computed in float64 on the tensor's device (numpy input on the CPU).
    """
    if isinstance(embeddings, torch.Tensor):
        values = embeddings.detach()
        if values.dim() != 2 or values.numel() == 0 or not bool(torch.isfinite(values).all()):
            as_embeddings(values, "RankMe embeddings")  # raises the precise error
    else:
        values = torch.from_numpy(np.array(as_embeddings(embeddings, "RankMe embeddings")))
    singular_values = torch.linalg.svdvals(values.to(torch.float64))
    total = singular_values.sum()
    if total == 0:
        return 1.0  # all-zero embeddings: no spread at all; the formula would divide by zero
    p = singular_values / total + eps
    return float(torch.exp(-(p * torch.log(p)).sum()))
