"""TERA: self-supervised learning of Transformer encoder representation for speech (Liu, Li and Lee 2021)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from multissl.encoders.transformer import TransformerEncoder
from multissl.errors import RecipeError
from multissl.methods.base import Method
from multissl.objectives.masked_reconstruction import MaskedReconstruction
from multissl_speech.frontend import Frontend, feature_config
from multissl_speech.pooling import masked_mean
from multissl_speech.tera_alteration import TERAAlteration, TERAAlterationOptions


INITS = ("bert", "pytorch")


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
    dropout: float = 0.3
    """Hidden and attention-probability dropout (the reference's ``hidden_dropout_prob`` and
    ``attention_probs_dropout_prob``: 0.3)."""
    input_norm: bool = True
    """LayerNorm on projection + positions, before the dropout (the reference's input representation)."""
    init: str = "bert"
    """``bert``: every Linear weight (and the attention's input projection) ~ N(0, 0.02²), biases 0, LayerNorms
    1 and 0, as the reference's ``init_Transformer_weights``; ``pytorch``: PyTorch's default initialisation."""
    max_frames: int = 1500
    loss: str = "l1"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.init not in INITS:
            raise RecipeError(f"TERA init must be one of {INITS}, got {self.init!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise RecipeError(f"TERA dropout must lie in [0, 1), got {self.dropout}.")


class TERA(Method):
    """``L = Σ_{(t,f)∈M} |h(f_θ(alter(x)))_{t,f} − x_{t,f}| / |M|``: a Transformer ``f_θ`` over altered
    features and a head ``h`` = Linear-GELU-LayerNorm-Linear reconstruct the clean features, scored on the
    time-altered frames and frequency-masked bins ``M`` only. ``embed`` is the mean of the last layer over real
    frames; ``layer_embeddings`` gives every layer's mean (the input projection first).
    """

    Config = TERAConfig
    # the reference: AdamW lr 2e-4, 7 % warm-up then linear decay, weight decay 0.01, gradient norm clipped at 5
    # (s3prl pretrain/tera/config_runner.yaml)
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 2e-4, "warmup_fraction": 0.07, "schedule": "linear", "weight_decay": 0.01}
    trainer_defaults: ClassVar[dict[str, Any]] = {"gradient_clip_val": 5.0}

    def __init__(self, config: TERAConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.frontend = Frontend(feature_config(input_spec))
        dim = int(input_spec["input_dim"])
        self.encoder = TransformerEncoder(dim, config.d_model, config.num_layers, config.num_heads, config.ffn_dim,
                                          config.dropout, "gelu", positional="sinusoidal", max_len=config.max_frames,
                                          skip_padding=True, ffn_dropout=0.0,  # padding never computed; BERT's layer
                                          input_norm=config.input_norm)
        self.head = nn.Sequential(nn.Linear(config.d_model, config.d_model), nn.GELU(), nn.LayerNorm(config.d_model),
                                  nn.Linear(config.d_model, dim))
        if config.init == "bert":
            self.encoder.apply(bert_init)
            self.head.apply(bert_init)
        self.alteration = TERAAlteration(**config.alteration_options())
        self.objective = MaskedReconstruction(config.loss)

    def _inputs(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        features, valid = self.frontend(batch)
        return features[:, : self.config.max_frames], valid[:, : self.config.max_frames]

    def ssl_loss(self, batch: dict[str, Tensor]):
        features, valid = self._inputs(batch)
        altered = self.alteration(features, self.generator(features.device), valid=valid)
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


def bert_init(module: nn.Module, std: float = 0.02) -> None:
    """BERT's initialisation as the TERA reference applies it (s3prl ``TransformerInitModel``): Linear weights
    and the attention's packed Q/K/V projection ~ N(0, std²) (the reference's config calls it truncated normal;
    its code draws a plain normal), biases 0, LayerNorm weight 1 and bias 0. For ``module.apply``."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.MultiheadAttention) and module.in_proj_weight is not None:
        nn.init.normal_(module.in_proj_weight, std=std)
        if module.in_proj_bias is not None:
            nn.init.zeros_(module.in_proj_bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
