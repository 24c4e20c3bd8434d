"""Train the unknown-category token: during pretraining a small share of category codes become "unknown"."""

from __future__ import annotations

import torch
from torch import Tensor

from multissl.errors import RecipeError
from multissl_tabular.modality import FIRST_CATEGORY_CODE, UNKNOWN_CODE


def replace_by_unknown(codes: Tensor, rate: float, generator: torch.Generator) -> Tensor:
    """A copy of ``codes`` (N, n_cat) where each known category (code >= 2) becomes ``UNKNOWN_CODE`` with
    probability ``rate``; missing codes stay. Without it the unknown embedding, used at embed time for
    categories never seen in training, would keep its random initial value (the same idea as BERT's
    random-token replacement, Devlin et al. 2019)."""
    if not 0.0 <= rate < 1.0:
        raise RecipeError(f"unknown_category_rate must lie in [0, 1), got {rate}.")
    if rate == 0.0 or codes.numel() == 0:
        return codes
    hit = torch.rand(codes.shape, generator=generator, device=codes.device) < rate
    return torch.where(hit & (codes >= FIRST_CATEGORY_CODE), UNKNOWN_CODE, codes)
