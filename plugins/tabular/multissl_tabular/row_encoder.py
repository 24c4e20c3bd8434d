"""A table row as tokens through a Transformer: the backbone shared by T-JEPA and SCARF here."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from torch import Tensor, nn

from multissl.encoders.positional import sinusoidal_positions
from multissl_tabular.sparse_dropout_transformer import SparseDropoutTransformer
from multissl_tabular.tokenizer import FeatureTokenizer


@dataclasses.dataclass
class RowEncoderConfig:
    """Options shared by the T-JEPA and SCARF configs: the row encoder's shape, the unknown-category
    rate and the ``embed`` output. Each method's config subclasses it and may change the defaults."""

    dim: int = 64
    num_layers: int = 3
    num_heads: int = 2
    ffn_dim: int = 128
    dropout: float = 0.0
    n_reg: int = 1
    init_std: float = 0.02
    value_init_std: float | None = None
    """Initial std of the tokenizer's value weights (numeric ``W_j``, category embeddings); None: ``init_std``."""
    unknown_category_rate: float = 0.01
    """Share of known category codes replaced by the unknown token in training batches, so that token is trained."""
    embedding: Literal["mean", "tokens"] = "mean"
    """``embed`` output: the mean over tokens (N, dim), or every token flattened (N, tokens·dim)."""


class RowEncoder(nn.Module):
    """``encode(tokenize(numeric, categorical) + PE, keep)``: the feature tokenizer, fixed sinusoidal
    positions by column (so a subset of columns keeps its positions), then the core Transformer encoder
    (post-norm, ReLU, no input projection: the tokens are already ``dim`` wide; trained through
    :class:`SparseDropoutTransformer`) over the kept tokens. Linear weights start from a truncated normal (std 0.02).
    """

    def __init__(
        self,
        n_numeric: int,
        categorical_cardinalities: list[int],
        dim: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float,
        n_reg: int = 1,
        init_std: float = 0.02,
        value_init_std: float | None = None,
    ):
        super().__init__()
        self.tokenizer = FeatureTokenizer(n_numeric, categorical_cardinalities, dim, n_reg, init_std, value_init_std)
        self.n_reg = n_reg
        self.output_dim = dim
        self.register_buffer("positions", sinusoidal_positions(n_reg + self.tokenizer.n_features, dim, base=100.0), persistent=False)
        self.transformer = SparseDropoutTransformer(
            dim, d_model=dim, num_layers=num_layers, num_heads=num_heads, ffn_dim=ffn_dim, dropout=dropout,
            activation="relu", norm_first=False, positional=None, project_input=False,
        )
        truncated_normal_linears(self.transformer, init_std)

    @classmethod
    def from_config(cls, config: RowEncoderConfig, input_spec: dict[str, Any]) -> RowEncoder:
        """The encoder for a method's ``config`` over the tabular modality's ``input_spec``."""
        return cls(
            input_spec["n_numeric"], input_spec["categorical_cardinalities"], config.dim, config.num_layers,
            config.num_heads, config.ffn_dim, config.dropout, config.n_reg, config.init_std, config.value_init_std,
        )

    @property
    def n_features(self) -> int:
        return self.tokenizer.n_features

    def tokenize(self, numeric: Tensor, categorical: Tensor) -> Tensor:
        """``(N, n_reg + F, dim)`` tokens, [REG] first, without positions."""
        return self.tokenizer(numeric, categorical)

    def encode(self, tokens: Tensor, keep: Tensor | None = None) -> Tensor:
        """Outputs for the token indices ``keep`` (N, K) of each row (all tokens when None): ``(N, K, dim)``."""
        hidden = tokens + self.positions
        if keep is not None:
            hidden = hidden.gather(1, keep.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
        return self.transformer(hidden)

    def forward(self, numeric: Tensor, categorical: Tensor, keep: Tensor | None = None) -> Tensor:
        return self.encode(self.tokenize(numeric, categorical), keep)

    def embed(self, numeric: Tensor, categorical: Tensor, pooling: str = "mean") -> Tensor:
        """The outputs for the full row, ``"mean"`` over tokens ``(N, dim)`` or all ``"tokens"`` flattened
        ``(N, (n_reg + F) · dim)`` (T-JEPA's downstream models read every token)."""
        outputs = self(numeric, categorical)
        return outputs.mean(dim=1) if pooling == "mean" else outputs.flatten(1)


def truncated_normal_linears(module: nn.Module, std: float) -> None:
    """Every ``nn.Linear`` in ``module``: weight ~ truncated N(0, std²) on [-2std, 2std], bias 0 (I-JEPA / T-JEPA init)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.trunc_normal_(layer.weight, std=std, a=-2 * std, b=2 * std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
