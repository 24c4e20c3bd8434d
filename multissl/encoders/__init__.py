"""Generic encoders: ``nn.Module`` with ``output_dim``, ``forward`` per token/sample, ``embed`` pooled."""

from multissl.encoders.base import Encoder
from multissl.encoders.cnn1d import CNN1dEncoder
from multissl.encoders.mlp import MLPEncoder
from multissl.encoders.transformer import TransformerEncoder

__all__ = ["CNN1dEncoder", "Encoder", "MLPEncoder", "TransformerEncoder"]
