"""SCARF (Bahri et al., ICLR 2022) on tokenized rows, from core parts: MarginalCorruption + NT-Xent."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.methods.base import Method
from multissl.methods.components import build_objective, build_view, projection_mlp
from multissl_tabular.row_encoder import RowEncoder, RowEncoderConfig
from multissl_tabular.unknown_categories import replace_by_unknown


@dataclasses.dataclass
class SCARFConfig(RowEncoderConfig):
    """SCARF options: corruption rate and temperature as in the paper; a small token Transformer
    (the backbone defaults of :class:`RowEncoderConfig`)."""

    corruption_ratio: float = 0.6
    temperature: float = 1.0
    projector_dims: list[int] = dataclasses.field(default_factory=lambda: [256, 128])


class SCARF(Method):
    """``L = NT-Xent(h(f(t)), h(f(c(t))))``: ``t`` the row's column tokens, ``c`` the core
    ``marginal_corruption`` view replacing a ``corruption_ratio`` share of each row's column tokens by
    the same column's token in another row of the batch (the empirical marginal; [REG] tokens are never
    corrupted), ``f`` the row encoder mean-pooled, ``h`` the projector. ``embed`` is ``f`` of the clean row.
    """

    Config = SCARFConfig

    def __init__(self, config: SCARFConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.encoder = RowEncoder.from_config(config, input_spec)
        self.corruption = build_view([{"name": "marginal_corruption", "ratio": config.corruption_ratio}])
        self.projector = projection_mlp(config.dim, config.projector_dims)
        self.objective = build_objective("ntxent", {"temperature": config.temperature})

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        generator = self.generator(batch["categorical"].device)
        categorical = replace_by_unknown(batch["categorical"], self.config.unknown_category_rate, generator)
        tokens = self.encoder.tokenize(batch["numeric"], categorical)
        columns = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
        columns[:, : self.config.n_reg] = False
        corrupted = self.corruption(tokens, self.generator(tokens.device), valid=columns).data
        return self.objective(self._project(tokens), self._project(corrupted))

    def _project(self, tokens: torch.Tensor) -> torch.Tensor:
        """``h(mean over tokens of f(tokens))``: the projection NT-Xent compares."""
        return self.projector(self.encoder.encode(tokens).mean(dim=1))

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.encoder.embed(batch["numeric"], batch["categorical"], self.config.embedding)
