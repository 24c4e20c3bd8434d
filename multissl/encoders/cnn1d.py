"""1-D convolutional encoder over multichannel time series (TPN)."""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from multissl.encoders.base import Encoder, check_input
from multissl.errors import InvalidDataError, RecipeError


class CNN1dEncoder(Encoder):
    """The Transformation Prediction Network trunk of Saeed et al. 2019, as used by ColloSSL
    (Jain et al. 2022): per layer ``Conv1d(kernel_sizes[i]) -> ReLU -> Dropout``. Channels-last
    ``(N, T, input_dim) -> (N, T', channels[-1])`` with ``T' = T − Σ(k − 1)`` for ``padding="valid"``
    and ``T' = T`` for ``"same"``; ``embed`` pools over time (``pool`` = "max", as in TPN, or "mean")."""

    def __init__(
        self,
        input_dim: int,
        channels: Sequence[int] = (32, 64, 96),
        kernel_sizes: Sequence[int] = (24, 16, 8),
        dropout: float = 0.1,
        pool: str = "max",
        padding: str = "valid",
    ):
        super().__init__()
        if len(channels) != len(kernel_sizes) or not channels:
            raise RecipeError(
                f"CNN1dEncoder needs one kernel size per layer and at least one layer, got channels={list(channels)} "
                f"and kernel_sizes={list(kernel_sizes)}."
            )
        if pool not in ("max", "mean"):
            raise RecipeError(f"CNN1dEncoder pool must be 'max' or 'mean', got {pool!r}.")
        if padding not in ("valid", "same"):
            raise RecipeError(f"CNN1dEncoder padding must be 'valid' or 'same', got {padding!r}.")
        self.input_dim = int(input_dim)
        self.output_dim = int(channels[-1])
        self.pool = pool
        self.min_length = 1 + sum(k - 1 for k in kernel_sizes) if padding == "valid" else 1
        layers: list[nn.Module] = []
        for width_in, width_out, kernel in zip([input_dim, *channels[:-1]], channels, kernel_sizes):
            layers += [nn.Conv1d(width_in, width_out, kernel, padding=padding), nn.ReLU(), nn.Dropout(dropout)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        check_input(x, "NTC", self.input_dim, "CNN1dEncoder")
        if x.shape[1] < self.min_length:
            raise InvalidDataError(
                f"CNN1dEncoder needs sequences of at least {self.min_length} time steps (its receptive field), "
                f"got {x.shape[1]}; use longer windows, smaller kernels or padding='same'."
            )
        return self.net(x.transpose(1, 2)).transpose(1, 2)

    def embed(self, x: Tensor) -> Tensor:
        features = self(x)
        return features.amax(dim=1) if self.pool == "max" else features.mean(dim=1)
