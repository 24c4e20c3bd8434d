"""The Transformer the generic methods use on speech features."""

from __future__ import annotations

from typing import Any

from multissl.encoders.transformer import TransformerEncoder


class SpeechTransformer(TransformerEncoder):
    """The core :class:`~multissl.encoders.transformer.TransformerEncoder` over feature frames, built from the
    speech ``input_spec`` (``sample_rate`` and ``features`` describe the front end, which the input module
    holds): GELU, sinusoidal positions, LayerNorm on projection + positions, padding skipped; TERA's encoder
    shape (Liu, Li and Lee 2021) at a CPU size by default."""

    def __init__(self, input_dim: int, d_model: int = 192, num_layers: int = 3, num_heads: int = 4, ffn_dim: int = 768,
                 dropout: float = 0.1, max_len: int = 1500, sample_rate: int | None = None,
                 features: dict[str, Any] | None = None, **options: Any) -> None:
        options = {"activation": "gelu", "positional": "sinusoidal", "skip_padding": True, "input_norm": True, **options}
        super().__init__(input_dim, d_model, num_layers, num_heads, ffn_dim, dropout, max_len=max_len, **options)
