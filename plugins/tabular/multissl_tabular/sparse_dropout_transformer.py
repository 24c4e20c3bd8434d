"""The core Transformer encoder, trained with sparsely drawn dropout and the fused attention kernel."""

from __future__ import annotations

from torch import Tensor, nn

from multissl.encoders.packed_layer import residual_layer
from multissl.encoders.transformer import TransformerEncoder
from multissl_tabular.batch_last_attention import batch_last_attention, use_batch_last
from multissl_tabular.chunked_feed_forward import relu_feed_forward
from multissl_tabular.sparse_dropout import (
    attention_with_sparse_dropout,
    sparse_dropout,
)


class SparseDropoutTransformer(TransformerEncoder):
    """The core ``TransformerEncoder`` (same options, parameters and checkpoints); without a padding mask, each
    layer runs through :func:`sparse_dropout_layer_forward`: the same computation and dropout distribution as
    ``nn.TransformerEncoderLayer``, with the dropout masks drawn sparsely, attention on the fused kernel or, for
    small heads, :mod:`multissl_tabular.batch_last_attention` (see :mod:`multissl_tabular.sparse_dropout`) and a
    ReLU feed-forward block computed in cache-sized row chunks (:func:`relu_feed_forward`). In evaluation the same
    layers run without dropout (PyTorch's inference path is slow on CPU for softmaxes over rows of fewer than 16
    weights). Padded batches and all-layer outputs take the core path.
    """

    def forward(self, x: Tensor, padding_mask: Tensor | None = None, return_all_layers: bool = False):
        if padding_mask is not None or return_all_layers:
            return super().forward(x, padding_mask, return_all_layers)
        self._check_sequences(x)
        hidden = sparse_dropout(self._input_tokens(x), self.input_dropout.p, self.training)
        for layer in self.layers:
            hidden = sparse_dropout_layer_forward(layer, hidden, self.training)
        return self.final_norm(hidden)


def sparse_dropout_layer_forward(layer: nn.TransformerEncoderLayer, x: Tensor, training: bool = True) -> Tensor:
    """``layer`` (Vaswani et al. 2017; post-LN, or pre-LN when ``layer.norm_first``) with its own parameters on
    ``x`` (N, T, D), no mask: ``MHA`` with dropout on the attention weights, dropout after the attention and
    feed-forward blocks and on the feed-forward hidden units, at the rates of the layer's own dropout modules when
    ``training``, none otherwise."""
    attention = layer.self_attn
    n, length, width = x.shape
    attention_p, hidden_p, residual_p1, residual_p2 = (
        (attention.dropout, layer.dropout.p, layer.dropout1.p, layer.dropout2.p) if training else (0.0,) * 4
    )
    heads = attention.num_heads

    def self_attention(tokens: Tensor) -> Tensor:
        qkv = nn.functional.linear(tokens, attention.in_proj_weight, attention.in_proj_bias)
        if use_batch_last(tokens, heads):
            out = batch_last_attention(qkv, heads, attention_p)
        else:
            q, k, v = qkv.view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
            out = attention_with_sparse_dropout(q, k, v, attention_p).transpose(1, 2).reshape(n, length, width)
        return sparse_dropout(attention.out_proj(out), residual_p1)

    def feed_forward(tokens: Tensor) -> Tensor:
        flat = tokens.reshape(n * length, width)
        if layer.activation_relu_or_gelu == 1:
            out = relu_feed_forward(flat, layer.linear1, layer.linear2, hidden_p)
        else:
            out = layer.linear2(sparse_dropout(layer.activation(layer.linear1(flat)), hidden_p))
        return sparse_dropout(out, residual_p2).view(n, length, width)

    return residual_layer(layer, x, self_attention, feed_forward)
