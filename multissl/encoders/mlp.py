"""Multi-layer perceptron over fixed-size vectors."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from multissl.encoders.base import Encoder, check_input
from multissl.errors import InvalidDataError, RecipeError

_NORMS = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm, None: None}
_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}


class MLPEncoder(Encoder):
    """``(N, input_dim) -> (N, output_dim)``: for each hidden width ``Linear -> norm -> activation -> dropout``,
    then a final ``Linear`` (the tabular backbone of SCARF, Bahri et al. 2022, and VIME, Yoon et al. 2020).
    ``embed`` is ``forward``."""

    def __init__(
        self,
        input_dim: int,
        hidden_dims: Sequence[int] = (256, 256),
        output_dim: int = 128,
        dropout: float = 0.0,
        norm: str | None = "batch",
        activation: str = "relu",
    ):
        super().__init__()
        if norm not in _NORMS:
            raise RecipeError(f"MLPEncoder norm must be one of 'batch', 'layer' or None, got {norm!r}.")
        if activation not in _ACTIVATIONS:
            raise RecipeError(f"MLPEncoder activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}.")
        widths = [input_dim, *hidden_dims, output_dim]
        if any(int(w) != w or w < 1 for w in widths):
            raise RecipeError(f"MLPEncoder widths must be positive integers, got input_dim={input_dim}, "
                              f"hidden_dims={list(hidden_dims)}, output_dim={output_dim}.")
        if not 0.0 <= dropout < 1.0:
            raise RecipeError(f"MLPEncoder dropout must be in [0, 1), got {dropout}.")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.uses_batch_norm = norm == "batch"
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-2], widths[1:-1]):
            layers.append(nn.Linear(width_in, width_out))
            if norm is not None:
                layers.append(_NORMS[norm](width_out))
            layers += [_ACTIVATIONS[activation](), nn.Dropout(dropout)]
        layers.append(nn.Linear(widths[-2], widths[-1]))
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, "NF", self.input_dim, "MLPEncoder")
        if self.uses_batch_norm and self.training and x.shape[0] < 2:
            raise InvalidDataError(
                f"MLPEncoder with norm='batch' needs at least 2 rows per training batch, got {x.shape[0]}; "
                f"use drop_last=True, a larger batch, or norm='layer'."
            )
        return self.net(x)

    def embed(self, x: Tensor) -> Tensor:
        return self(x)
