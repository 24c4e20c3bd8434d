"""T-JEPA (Thimonier et al., ICLR 2025; reference jose-melo/t-jepa): joint-embedding prediction over table columns."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch

from multissl.methods.base import Method
from multissl.methods.components import build_objective
from multissl.targets.ema_teacher import EMATeacher
from multissl_tabular.masks import FeatureMaskOptions, FeatureMasks
from multissl_tabular.predictor import LatentPredictor, PredictorNorm
from multissl_tabular.row_encoder import RowEncoder, RowEncoderConfig
from multissl_tabular.unknown_categories import replace_by_unknown


@dataclasses.dataclass
class TJEPAConfig(RowEncoderConfig, FeatureMaskOptions):
    """T-JEPA options; defaults are the reference's (REFERENCES.md, T-JEPA) except two. Depth: 2 encoder + 2
    predictor layers (the reference: 16 + 16, recipe ``adult_tjepa``) so a 10k-row table trains in minutes on a
    laptop. ``value_init_std`` 1: the tokenizer's value weights start at unit scale (the reference: ±1/√dim,
    here otherwise 0.02), so that at initialisation a row's values are not drowned by its row-independent
    positions and biases and the encoders do not start at the constant map, JEPA's collapsed solution
    (docs/methods/tjepa.md). The mask ratios (``context_min``, ..., ``n_targets``) are inherited from
    :class:`FeatureMaskOptions` and checked when the recipe is read."""

    num_layers: int = 2
    ffn_dim: int = 64
    dropout: float = 0.002
    value_init_std: float | None = 1.0
    predictor_dim: int = 16
    predictor_layers: int = 2
    predictor_heads: int = 4
    predictor_ffn_dim: int = 256
    predictor_norm: PredictorNorm = "post"
    """``post``: the reference's post-norm predictor with its Dropout-LN-Linear-Dropout-LN tail; ``pre``: pre-norm
    layers and a final LayerNorm (I-JEPA's), measured side by side in docs/methods/tjepa.md."""
    momentum_start: float = 0.996
    momentum_end: float = 1.0
    loss: Literal["mse", "smooth_l1"] = "mse"


class TJEPA(Method):
    """``L = mean over rows, target sets, target columns of ||g(f_θ(x_ctx ∪ REG), pos_tgt) − f_ξ(x)_tgt||²``:
    the context encoder ``f_θ`` sees the [REG] tokens and a column subset; the predictor ``g`` predicts the
    EMA target encoder ``f_ξ``'s outputs (full row, no gradient) at each target set's columns.
    ``embed`` is the target encoder's mean output over all tokens of the full row.
    """

    Config = TJEPAConfig
    # the reference: AdamW lr 3.66e-4, 10 warm-up epochs out of 300, then cosine
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 3.66e-4, "warmup_fraction": 10 / 300, "schedule": "cosine"}

    def __init__(self, config: TJEPAConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.context_encoder = RowEncoder.from_config(config, input_spec)
        self.target_encoder = EMATeacher(self.context_encoder, config.momentum_start, config.momentum_end)
        self.predictor = LatentPredictor(
            config.dim, config.n_reg + self.context_encoder.n_features, config.predictor_dim, config.predictor_layers,
            config.predictor_heads, config.predictor_ffn_dim, config.dropout, config.init_std, config.predictor_norm,
        )
        self.masks = FeatureMasks(**config.mask_options())
        self.objective = build_objective("latent_prediction", {"loss": config.loss})

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        numeric, categorical = batch["numeric"], batch["categorical"]
        n, n_reg = numeric.shape[0], self.config.n_reg
        generator = self.generator(numeric.device)
        categorical = replace_by_unknown(categorical, self.config.unknown_category_rate, generator)
        context, targets = self.masks(n, self.context_encoder.n_features, generator)
        reg = torch.arange(n_reg, device=numeric.device).expand(n, n_reg)
        context_positions = torch.cat([reg, context + n_reg], dim=1)  # [REG] always in the context
        target_positions = targets + n_reg
        latents = self.context_encoder(numeric, categorical, keep=context_positions)
        predicted = self.predictor(latents, context_positions, target_positions)
        full = self.target_encoder(numeric, categorical)
        index = target_positions.flatten(1).unsqueeze(-1).expand(-1, -1, full.shape[-1])
        target_latents = full.gather(1, index).view_as(predicted)
        return self.objective(predicted, target_latents)

    def after_optimizer_step(self, steps: int) -> None:
        """EMA step after each optimisation step, momentum following the schedule over the whole run."""
        self.target_encoder.update(self.context_encoder, steps, self.trainer.estimated_stepping_batches)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.target_encoder.teacher.embed(batch["numeric"], batch["categorical"], self.config.embedding)
