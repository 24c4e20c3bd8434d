"""TERA: self-supervised learning of Transformer encoder representation for speech (Liu, Li and Lee 2021)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from multissl.encoders.transformer import TransformerEncoder
from multissl.methods.base import Method
from multissl.objectives.masked_reconstruction import MaskedReconstruction
from multissl_speech.frontend import Frontend, feature_config
from multissl_speech.pooling import masked_mean
from multissl_speech.tera_alteration import TERAAlteration, TERAAlterationOptions


@dataclasses.dataclass(frozen=True)
class TERAConfig(TERAAlterationOptions):
    """TERA options. The alteration, loss and optimiser are the reference's ``logMelBase-T-F-M`` (REFERENCES.md,
    TERA); the encoder defaults to a CPU-sized 3 x 192 (the paper's Base is 3 x 768, 12 heads, FFN 3072: the
    keys in docs/methods/tera.md). The alteration options (``proportion``, ``span``, ...) are inherited
    from :class:`TERAAlterationOptions` and checked when the recipe is read."""

    d_model: int = 192
    num_layers: int = 3
    num_heads: int = 4
    ffn_dim: int = 768
    dropout: float = 0.1
    max_frames: int = 1500
    loss: str = "l1"


class TERA(Method):
    """``L = Σ_{(t,f)∈M} |h(f_θ(alter(x)))_{t,f} − x_{t,f}| / |M|``: a Transformer ``f_θ`` over altered
    features and a head ``h`` = Linear-GELU-LayerNorm-Linear reconstruct the clean features, scored on the
    time-altered frames and frequency-masked bins ``M`` only. ``embed`` is the mean of the last layer over real
    frames; ``layer_embeddings`` gives every layer's mean (the input projection first).
    """

    Config = TERAConfig
    # the reference: AdamW lr 2e-4, 7 % warm-up then linear decay, weight decay 0.01
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 2e-4, "warmup_fraction": 0.07, "schedule": "linear", "weight_decay": 0.01}

    def __init__(self, config: TERAConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.frontend = Frontend(feature_config(input_spec))
        dim = int(input_spec["input_dim"])
        self.encoder = TransformerEncoder(dim, config.d_model, config.num_layers, config.num_heads, config.ffn_dim,
                                          config.dropout, "gelu", positional="sinusoidal", max_len=config.max_frames,
                                          skip_padding=True, ffn_dropout=0.0)  # padding never computed; BERT's layer
        self.head = nn.Sequential(nn.Linear(config.d_model, config.d_model), nn.GELU(), nn.LayerNorm(config.d_model),
                                  nn.Linear(config.d_model, dim))
        self.alteration = TERAAlteration(**config.alteration_options())
        self.objective = MaskedReconstruction(config.loss)

    def _inputs(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        features, valid = self.frontend(batch)
        return features[:, : self.config.max_frames], valid[:, : self.config.max_frames]

    def ssl_loss(self, batch: dict[str, Tensor]):
        features, valid = self._inputs(batch)
        altered = self.alteration(features, valid, self.generator(features.device))
        prediction = self.head(self.encoder(altered.data, padding_mask=~valid))
        return self.objective(prediction, features, altered.mask)

    def embed(self, batch: dict[str, Tensor]) -> Tensor:
        features, valid = self._inputs(batch)
        return masked_mean(self.encoder(features, padding_mask=~valid), valid)

    def layer_embeddings(self, batch: dict[str, Tensor]) -> Tensor:
        """``(N, L + 1, D)``: the mean over real frames of the input projection and of each layer."""
        features, valid = self._inputs(batch)
        layers = self.encoder(features, padding_mask=~valid, return_all_layers=True)
        return torch.stack([masked_mean(h, valid) for h in layers], dim=1)
