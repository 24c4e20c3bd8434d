"""One ``nn.TransformerEncoderLayer`` run on the real tokens of a padded batch only, and the residual wiring
shared by layer forwards that compute its blocks their own way."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn
from torch.nn import functional as F


def packed_layer_forward(
    layer: nn.TransformerEncoderLayer, tokens: Tensor, index: Tensor, shape: tuple[int, int], key_padding: Tensor | None
) -> Tensor:
    """The computation of ``layer`` (Vaswani et al. 2017; post-LN, or pre-LN when ``layer.norm_first``) with its own
    parameters, on ``tokens`` (M, D): the real tokens of an ``(N, T) = shape`` batch, ``index`` (M,) their flat
    positions ``n·T + t``. Projections, feed-forward, norms and dropouts see the M real tokens only; the tokens are
    scattered to ``(N, T)`` just for ``softmax(QKᵀ/√d_h)V`` (``scaled_dot_product_attention``, padded keys masked by
    ``key_padding``, True at padding). PyTorch's own layer computes every position of the padded batch, and its
    nested-tensor fast path runs only without gradients, hence this function for training on variable-length data.
    """
    n, length = shape
    attention = layer.self_attn
    heads, width = attention.num_heads, tokens.shape[-1]

    def self_attention(x: Tensor) -> Tensor:
        qkv = F.linear(x, attention.in_proj_weight, attention.in_proj_bias)
        padded = qkv.new_zeros(n * length, 3 * width).index_copy(0, index, qkv)
        q, k, v = padded.view(n, length, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        mask = None if key_padding is None else ~key_padding[:, None, None, :]
        dropout = attention.dropout if layer.training else 0.0
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout)
        out = out.transpose(1, 2).reshape(n * length, width).index_select(0, index)
        return layer.dropout1(attention.out_proj(out))

    def feed_forward(x: Tensor) -> Tensor:
        return layer.dropout2(layer.linear2(layer.dropout(layer.activation(layer.linear1(x)))))

    return residual_layer(layer, tokens, self_attention, feed_forward)


def residual_layer(
    layer: nn.TransformerEncoderLayer, x: Tensor, self_attention: Callable[[Tensor], Tensor],
    feed_forward: Callable[[Tensor], Tensor],
) -> Tensor:
    """The residual and LayerNorm wiring of ``layer`` around its two blocks: post-LN
    ``y = LN2(h + FF(h))``, ``h = LN1(x + SA(x))``, or pre-LN (``layer.norm_first``)
    ``y = h + FF(LN2(h))``, ``h = x + SA(LN1(x))`` (Vaswani et al. 2017; Xiong et al. 2020). Shared by layer
    forwards that compute the blocks their own way (here on real tokens; the tabular plugin with sparse dropout)."""
    if layer.norm_first:
        x = x + self_attention(layer.norm1(x))
        return x + feed_forward(layer.norm2(x))
    x = layer.norm1(x + self_attention(x))
    return layer.norm2(x + feed_forward(x))
