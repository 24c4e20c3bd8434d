"""T-JEPA's predictor: context latents + mask tokens at target positions -> predicted target latents."""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from multissl.encoders.positional import sinusoidal_positions
from multissl_tabular.row_encoder import truncated_normal_linears
from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer

PredictorNorm = Literal["post", "pre"]


class LatentPredictor(nn.Module):
    """I-JEPA-style predictor (Assran et al. 2023) as in T-JEPA (Thimonier et al. 2025).

    Context latents go through ``Linear(dim -> predictor_dim)`` and get fixed sinusoidal positions of their
    token indices; each target set appends a learned mask token ``m`` plus the target positions:
    ``[W z_ctx + PE(ctx), m + PE(tgt)]``. A Transformer runs over that sequence and ``Linear(predictor_dim -> dim)``
    maps the target slots back. ``norm="post"`` is the reference's (jose-melo/t-jepa, ``TransformerPredictor``):
    post-norm layers, then ``LN(LN(Dropout(Linear(LN(Dropout(h))))))`` (its encoder's tail and the predictor's
    norm); ``norm="pre"``: pre-norm layers and one final LayerNorm (I-JEPA's predictor). The context is projected
    once and shared by all target sets, which run as one batched pass.
    """

    def __init__(
        self, dim: int, n_positions: int, predictor_dim: int, num_layers: int, num_heads: int, ffn_dim: int,
        dropout: float, init_std: float = 0.02, norm: PredictorNorm = "post",
    ):
        super().__init__()
        self.mask_token = nn.Parameter(torch.zeros(predictor_dim))
        nn.init.trunc_normal_(self.mask_token, std=init_std, a=-2 * init_std, b=2 * init_std)
        self.register_buffer("positions", sinusoidal_positions(n_positions, predictor_dim, base=100.0), persistent=False)
        self.embed = nn.Linear(dim, predictor_dim)
        self.transformer = SparseDropoutTransformer(
            predictor_dim, d_model=predictor_dim, num_layers=num_layers, num_heads=num_heads, ffn_dim=ffn_dim, dropout=dropout,
            activation="relu", norm_first=norm == "pre", positional=None, project_input=False,
        )
        self.tail = nn.Sequential(
            nn.Dropout(dropout), nn.LayerNorm(predictor_dim), nn.Linear(predictor_dim, predictor_dim), nn.Dropout(dropout),
            nn.LayerNorm(predictor_dim), nn.LayerNorm(predictor_dim),
        ) if norm == "post" else nn.Identity()
        self.output = nn.Linear(predictor_dim, dim)
        truncated_normal_linears(self, init_std)

    def forward(self, context: Tensor, context_positions: Tensor, target_positions: Tensor) -> Tensor:
        """``context`` (N, K, D) at token indices ``context_positions`` (N, K); ``target_positions``
        (N, M, T) token indices -> predictions (N, M, T, D)."""
        n, k, _ = context.shape
        _, m, t = target_positions.shape
        context = self.embed(context) + self.positions[context_positions]
        queries = self.mask_token + self.positions[target_positions]
        width = context.shape[-1]
        sequence = torch.cat([context.unsqueeze(1).expand(n, m, k, width), queries], dim=2).reshape(n * m, k + t, width)
        predicted = self.output(self.tail(self.transformer(sequence))[:, k:])
        return predicted.view(n, m, t, -1)
