"""Transformer encoder over token sequences."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from multissl.encoders.base import Encoder, check_input
from multissl.encoders.packed_layer import packed_layer_forward
from multissl.encoders.positional import sinusoidal_positions
from multissl.errors import InvalidDataError, RecipeError

_POSITIONAL = ("sinusoidal", "learned", None)


def _tracing() -> bool:
    """True while ``torch.jit.trace``, ``torch.export`` or ``torch.compile`` records the module: packing real
    tokens gathers a data-dependent number of rows, which a trace would freeze, so the padded path runs instead
    (same real-token outputs)."""
    return torch.jit.is_tracing() or torch.compiler.is_compiling()


class TransformerEncoder(Encoder):
    """``Linear(input_dim -> d_model)`` (skipped with ``project_input=False``) + positions + dropout, then ``num_layers`` of
    ``nn.TransformerEncoderLayer`` (Vaswani et al. 2017; post-LN, or pre-LN with a final LayerNorm when
    ``norm_first``), the backbone shape of TERA (Liu et al. 2021) and HuBERT (Hsu et al. 2021).

    ``padding_mask`` is bool ``(N, T)``, True at padding: padded keys are ignored by attention, so real
    tokens do not depend on padding. A row with no real token attends over its padding so its outputs
    stay finite; its embedding is zero. ``embed`` is the mean over real tokens. With ``skip_padding`` and a
    ``padding_mask``, only real tokens are computed (:func:`packed_layer_forward`; same parameters and, up to
    float rounding, the same real-token outputs) and padded outputs are 0: for variable-length batches (not while
    tracing for export, where the padded path runs).
    ``ffn_dropout`` sets the dropout on the feed-forward hidden units alone (None: ``dropout``, as PyTorch's layer).
    ``input_norm`` adds a LayerNorm on projection + positions before the input dropout (BERT's embedding LayerNorm).
    """

    def __init__(
        self,
        input_dim: int,
        d_model: int = 256,
        num_layers: int = 4,
        num_heads: int = 4,
        ffn_dim: int = 1024,
        dropout: float = 0.1,
        activation: str = "gelu",
        norm_first: bool = False,
        positional: str | None = "sinusoidal",
        max_len: int = 4096,
        project_input: bool = True,
        skip_padding: bool = False,
        ffn_dropout: float | None = None,
        input_norm: bool = False,
    ):
        super().__init__()
        if positional not in _POSITIONAL:
            raise RecipeError(f"TransformerEncoder positional must be one of {list(_POSITIONAL)}, got {positional!r}.")
        if activation not in ("relu", "gelu"):
            raise RecipeError(f"TransformerEncoder activation must be 'relu' or 'gelu', got {activation!r}.")
        if num_heads < 1 or d_model % num_heads != 0:
            raise RecipeError(f"TransformerEncoder d_model ({d_model}) must be divisible by num_heads ({num_heads}).")
        self.input_dim = int(input_dim)
        self.output_dim = int(d_model)
        self.max_len = int(max_len)
        self.positional = positional
        self.skip_padding = bool(skip_padding)
        if not project_input and input_dim != d_model:
            raise RecipeError(
                f"TransformerEncoder with project_input=False needs input_dim == d_model, got {input_dim} and {d_model}."
            )
        # project_input=False: the caller already gives d_model-wide tokens (e.g. a feature tokenizer)
        self.input_projection = nn.Linear(input_dim, d_model) if project_input else nn.Identity()
        if positional == "sinusoidal":
            self.register_buffer("positions", sinusoidal_positions(max_len, d_model), persistent=False)
        elif positional == "learned":
            self.positions = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        # BERT's (and TERA's) embedding LayerNorm on projection + positions, before the dropout
        self.input_norm = nn.LayerNorm(d_model) if input_norm else nn.Identity()
        self.input_dropout = nn.Dropout(dropout)
        # A ModuleList (not nn.TransformerEncoder) so every layer's output is at hand for return_all_layers;
        # it also avoids nn.TransformerEncoder's nested-tensor path, which leaves padded outputs undefined.
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model, num_heads, ffn_dim, dropout, activation, batch_first=True, norm_first=norm_first
            )
            for _ in range(num_layers)
        )
        if ffn_dropout is not None:  # BERT's layer (TERA's) has none on the feed-forward hidden units: ffn_dropout=0
            if not 0.0 <= ffn_dropout < 1.0:
                raise RecipeError(f"TransformerEncoder ffn_dropout must lie in [0, 1), got {ffn_dropout}.")
            for layer in self.layers:
                layer.dropout = nn.Dropout(ffn_dropout)
        self.final_norm = nn.LayerNorm(d_model) if norm_first else nn.Identity()

    def forward(
        self, x: Tensor, padding_mask: Tensor | None = None, return_all_layers: bool = False
    ) -> Tensor | list[Tensor]:
        """``(N, T, d_model)``; with ``return_all_layers``, the list ``[input projection + positions,
        layer 1, ..., layer L]`` (the last one equals the plain output)."""
        self._check_sequences(x)
        n, length, _ = x.shape
        padding_mask = self._checked_padding(padding_mask, n, length, x.device)
        key_padding = None
        if padding_mask is not None:
            key_padding = padding_mask & ~padding_mask.all(dim=1, keepdim=True)  # all-padding rows: attend to all
        if self.skip_padding and padding_mask is not None and not _tracing():
            return self._forward_real_tokens(x, padding_mask, key_padding, return_all_layers)
        outputs = [self.input_dropout(self._input_tokens(x))]
        for layer in self.layers:
            outputs.append(layer(outputs[-1], src_key_padding_mask=key_padding))
        outputs[-1] = self.final_norm(outputs[-1])
        return outputs if return_all_layers else outputs[-1]

    def _check_sequences(self, x: Tensor) -> None:
        """``x`` is (N, T, input_dim) and, with positions, ``T <= max_len``; else a clear error."""
        check_input(x, "NTF", self.input_dim, "TransformerEncoder")
        if self.positional is not None and x.shape[1] > self.max_len:
            raise InvalidDataError(
                f"TransformerEncoder got sequences of length {x.shape[1]}, longer than max_len={self.max_len}; "
                f"crop them or build the encoder with a larger max_len."
            )

    def _input_tokens(self, x: Tensor) -> Tensor:
        """The first layer's input before dropout: the projected tokens plus the positions."""
        hidden = self.input_projection(x)
        hidden = hidden + self.positions[: x.shape[1]] if self.positional is not None else hidden
        return self.input_norm(hidden)

    def _forward_real_tokens(
        self, x: Tensor, padding_mask: Tensor, key_padding: Tensor, return_all_layers: bool
    ) -> Tensor | list[Tensor]:
        """``forward`` computed on the real tokens only, gathered into one ``(M, d_model)`` sequence."""
        n, length, _ = x.shape
        index = (~padding_mask).flatten().nonzero().squeeze(1)  # flat positions n·T + t of the real tokens
        hidden = self.input_projection(x.flatten(0, 1).index_select(0, index))
        if self.positional is not None:
            hidden = hidden + self.positions[index % length]
        outputs = [self.input_dropout(self.input_norm(hidden))]
        for layer in self.layers:
            outputs.append(packed_layer_forward(layer, outputs[-1], index, (n, length), key_padding))
        outputs[-1] = self.final_norm(outputs[-1])
        padded = [h.new_zeros(n * length, h.shape[-1]).index_copy(0, index, h).view(n, length, -1)
                  for h in (outputs if return_all_layers else outputs[-1:])]
        return padded if return_all_layers else padded[0]

    def embed(self, x: Tensor, padding_mask: Tensor | None = None) -> Tensor:
        """Mean of ``forward`` over real tokens: ``(N, d_model)``."""
        tokens = self(x, padding_mask)
        if padding_mask is None:
            return tokens.mean(dim=1)
        real = (~padding_mask).unsqueeze(-1).to(tokens.dtype)
        return (tokens * real).sum(dim=1) / real.sum(dim=1).clamp(min=1.0)

    @staticmethod
    def _checked_padding(padding_mask: Tensor | None, n: int, length: int, device: torch.device) -> Tensor | None:
        if padding_mask is not None and (
            padding_mask.dtype != torch.bool or padding_mask.shape != (n, length) or padding_mask.device != device
        ):
            raise InvalidDataError(
                f"TransformerEncoder expects padding_mask as a bool tensor of shape ({n}, {length}) on {device} "
                f"(True at padding), got {padding_mask.dtype} of shape {tuple(padding_mask.shape)} on {padding_mask.device}."
            )
        return padding_mask
