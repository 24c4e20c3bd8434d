"""Feature tokenizer of FT-Transformer (Gorishniy et al. 2021) with T-JEPA's [REG] tokens (Thimonier et al. 2025)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from multissl.errors import InvalidDataError


class FeatureTokenizer(nn.Module):
    """One ``dim``-wide token per column, after ``n_reg`` learned [REG] tokens: ``(N, n_reg + F, dim)``.

    Numeric column j: ``t_j = x_j · W_j + b_j``, or a learned ``M_j`` where ``x_j`` is missing (NaN).
    Categorical column j: ``t_j = E_j[code_j] + b_j`` (codes 0 and 1 are the missing and unknown tokens).
    Numeric tokens come first, then categorical ones, in batch column order. The value parameters ``W_j``
    and ``E_j`` start from a truncated normal with standard deviation ``value_init_std`` (``init_std`` when
    None), the others (``b_j``, ``M_j``, [REG]) with ``init_std``.
    """

    def __init__(
        self, n_numeric: int, categorical_cardinalities: list[int], dim: int, n_reg: int = 1, init_std: float = 0.02,
        value_init_std: float | None = None,
    ):
        super().__init__()
        self.n_numeric = int(n_numeric)
        self.cardinalities = [int(c) for c in categorical_cardinalities]
        self.n_reg = int(n_reg)
        self.dim = int(dim)
        n_categorical = len(self.cardinalities)
        self.numeric_weight = nn.Parameter(torch.empty(self.n_numeric, dim))
        self.numeric_bias = nn.Parameter(torch.empty(self.n_numeric, dim))
        self.numeric_missing = nn.Parameter(torch.empty(self.n_numeric, dim))
        self.category_embedding = nn.Parameter(torch.empty(sum(self.cardinalities), dim))
        self.category_bias = nn.Parameter(torch.empty(n_categorical, dim))
        self.reg = nn.Parameter(torch.empty(self.n_reg, dim))
        offsets = torch.tensor([0, *self.cardinalities[:-1]], dtype=torch.long).cumsum(0)[:n_categorical]
        self.register_buffer("category_offsets", offsets, persistent=False)
        value_parameters = {id(self.numeric_weight), id(self.category_embedding)}
        for parameter in self.parameters():
            std = value_init_std if value_init_std is not None and id(parameter) in value_parameters else init_std
            nn.init.trunc_normal_(parameter, std=std, a=-2 * std, b=2 * std)

    @property
    def n_features(self) -> int:
        return self.n_numeric + len(self.cardinalities)

    def forward(self, numeric: Tensor, categorical: Tensor) -> Tensor:
        n = numeric.shape[0]
        if numeric.shape[1:] != (self.n_numeric,) or categorical.shape != (n, len(self.cardinalities)):
            raise InvalidDataError(
                f"FeatureTokenizer expects numeric (N, {self.n_numeric}) and categorical (N, {len(self.cardinalities)}), "
                f"got {tuple(numeric.shape)} and {tuple(categorical.shape)}."
            )
        missing = torch.isnan(numeric).unsqueeze(-1)
        # nan_to_num first: a NaN in the unused branch of torch.where would still poison the gradient of W
        numeric_tokens = torch.nan_to_num(numeric, nan=0.0).unsqueeze(-1) * self.numeric_weight + self.numeric_bias
        numeric_tokens = torch.where(missing, self.numeric_missing, numeric_tokens)
        category_tokens = self.category_embedding[categorical + self.category_offsets] + self.category_bias
        reg_tokens = self.reg.expand(n, -1, -1)
        return torch.cat([reg_tokens, numeric_tokens, category_tokens], dim=1)
