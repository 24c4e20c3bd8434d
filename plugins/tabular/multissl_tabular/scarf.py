"""SCARF (Bahri et al., ICLR 2022) on tokenized rows, from core parts: MarginalCorruption + NT-Xent."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch

from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.base import Method
from multissl.methods.components import build_objective, build_view, projection_mlp
from multissl_tabular.marginals import corrupt_from_marginals
from multissl_tabular.row_encoder import RowEncoder, RowEncoderConfig
from multissl_tabular.unknown_categories import replace_by_unknown


@dataclasses.dataclass
class SCARFConfig(RowEncoderConfig):
    """SCARF options: corruption rate and temperature as in the paper; a small token Transformer
    (the backbone defaults of :class:`RowEncoderConfig`)."""

    corruption_ratio: float = 0.6
    marginals: Literal["training", "batch"] = "training"
    """Where replacement values come from: ``training``, the training set's marginals (the paper's); ``batch``, the
    same column in another row of the batch (the core ``marginal_corruption`` view)."""
    temperature: float = 1.0
    projector_dims: list[int] = dataclasses.field(default_factory=lambda: [256, 128])


class SCARF(Method):
    """``L = NT-Xent(h(f(t)), h(f(c(t))))``: ``t`` the row's column tokens, ``c`` the corruption replacing a
    ``corruption_ratio`` share of each row's columns by draws from the column's marginal (``marginals: training``,
    the paper's: the training set's, :mod:`multissl_tabular.marginals`; ``batch``: the core ``marginal_corruption``
    view, the same column's token in another row of the batch; [REG] tokens are never corrupted), ``f`` the row
    encoder mean-pooled, ``h`` the projector. ``embed`` is ``f`` of the clean row.
    """

    Config = SCARFConfig

    def __init__(self, config: SCARFConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.encoder = RowEncoder.from_config(config, input_spec)
        self.corruption = build_view([{"name": "marginal_corruption", "ratio": config.corruption_ratio}])
        if config.marginals not in ("training", "batch"):
            raise RecipeError(f"scarf marginals must be 'training' or 'batch', got {config.marginals!r}.")
        marginals = input_spec.get("marginals")
        self.register_buffer(
            "training_marginals", torch.tensor(marginals if marginals is not None else [], dtype=torch.float32), persistent=False
        )
        self.projector = projection_mlp(config.dim, config.projector_dims)
        self.objective = build_objective("ntxent", {"temperature": config.temperature})

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        numeric = batch["numeric"]
        generator = self.generator(numeric.device)
        categorical = replace_by_unknown(batch["categorical"], self.config.unknown_category_rate, generator)
        tokens = self.encoder.tokenize(numeric, categorical)
        if self.config.marginals == "training":
            corrupted = self.encoder.tokenize(*self._corrupted_from_training(numeric, categorical, generator))
        else:
            columns = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)
            columns[:, : self.config.n_reg] = False
            corrupted = self.corruption(tokens, self.generator(tokens.device), valid=columns).data
        return self.objective(self._project(tokens), self._project(corrupted))

    def _corrupted_from_training(self, numeric: torch.Tensor, categorical: torch.Tensor, generator: torch.Generator):
        """``(numeric, categorical)`` with a ``corruption_ratio`` share of each row's columns drawn from the
        training marginals."""
        if self.training_marginals.numel() == 0:
            raise InvalidDataError(
                "scarf with marginals: training needs the training marginals the tabular modality keeps since it "
                "fits them (input_spec 'marginals'); this run's input has none. Refit the data, or set "
                "method.marginals: batch."
            )
        rows = torch.cat([numeric.double(), categorical.double()], dim=1)
        corrupted, _ = corrupt_from_marginals(rows, self.training_marginals, self.config.corruption_ratio, generator)
        n_numeric = numeric.shape[1]
        return corrupted[:, :n_numeric].to(numeric.dtype), corrupted[:, n_numeric:].long()

    def _project(self, tokens: torch.Tensor) -> torch.Tensor:
        """``h(mean over tokens of f(tokens))``: the projection NT-Xent compares."""
        return self.projector(self.encoder.encode(tokens).mean(dim=1))

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.encoder.embed(batch["numeric"], batch["categorical"], self.config.embedding)
