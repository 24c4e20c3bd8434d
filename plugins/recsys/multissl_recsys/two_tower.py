"""Two-tower retrieval with batch softmax and the feature-masking SSL regulariser (Yao et al. 2021).

Each tower embeds its features (the id and every feature column; multi-valued features are the mean
of their values' embeddings; a masked feature takes a learned default embedding), concatenates them
and maps them with an MLP. Main loss, batch softmax with in-batch negatives:
``L_main = InfoNCE(q_u, x_i; τ)`` over the batch's (user, positive item) pairs, cosine similarity.
SSL loss on ``n_ssl`` items drawn uniformly from the catalogue (not from the training distribution):
two views by complementary feature masking (``ssl = "rfm"`` or ``"cfm"``, :mod:`feature_masking`) and
per-value dropout of multi-valued features, ``L_ssl = InfoNCE(x'_i, x''_i; τ_ssl)``; the total is
``L_main + α L_ssl`` (``α = ssl_weight``; ``ssl = "none"`` trains ``L_main`` alone). Both InfoNCE
terms are the core's :class:`multissl.objectives.InfoNCE`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from multissl.errors import RecipeError
from multissl.methods.base import Method
from multissl.objectives import InfoNCE
from multissl_recsys.feature_masking import (
    complementary_masks,
    correlated_masks,
    value_dropout,
)
from multissl_recsys.features import PAD
from multissl_recsys.modality import mark_unknown


@dataclasses.dataclass
class TwoTowerConfig:
    """Options of ``two_tower_ssl`` (recipe ``method`` block)."""

    embedding_dim: int = 32
    """Width of each feature's embedding."""
    tower_dims: list[int] = dataclasses.field(default_factory=lambda: [128, 64])
    temperature: float = 0.1
    ssl: Literal["none", "rfm", "cfm"] = "cfm"
    ssl_weight: float = 0.1
    ssl_temperature: float = 0.2
    """α and τ of the SSL term: tuned for CFM on a validation split of ml-latest-small (docs/methods/two-tower-ssl.md)."""
    n_ssl: int = 512
    """Items per step drawn uniformly from the catalogue for the SSL term."""
    value_dropout: float = 0.2


class Tower(nn.Module):
    """Feature embeddings (default embedding where masked) -> concatenation -> MLP."""

    def __init__(self, features: dict[str, int], embedding_dim: int, dims: list[int]) -> None:
        super().__init__()
        self.names = list(features)
        self.embeddings = nn.ModuleDict({name: nn.Embedding(size, embedding_dim, padding_idx=PAD) for name, size in features.items()})
        self.defaults = nn.Parameter(torch.randn(len(features), embedding_dim) * 0.01)
        layers: list[nn.Module] = []
        width = len(features) * embedding_dim
        for i, out in enumerate(dims):
            layers.append(nn.Linear(width, out))
            if i < len(dims) - 1:
                layers.append(nn.ReLU())
            width = out
        self.mlp = nn.Sequential(*layers)
        self.output_dim = width

    def forward(self, codes: dict[str, torch.Tensor], masked: torch.Tensor | None = None) -> torch.Tensor:
        """(N, D) from per-feature (N, L) codes; ``masked`` (N, k) replaces features by their default."""
        parts = []
        for f, name in enumerate(self.names):
            values = codes[name]
            present = (values != PAD).unsqueeze(-1)
            pooled = (self.embeddings[name](values) * present).sum(1) / present.sum(1).clamp_min(1)
            hide = ~present.any(1)  # every value dropped: the feature is absent, as if masked
            if masked is not None:
                hide = hide | masked[:, f : f + 1]
            parts.append(torch.where(hide, self.defaults[f], pooled))
        return self.mlp(torch.cat(parts, dim=1))


class TwoTowerSSL(Method):
    """Two towers trained by batch softmax, regularised by feature-masking InfoNCE on catalogue items."""

    Config = TwoTowerConfig
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 1e-3, "weight_decay": 0.0, "schedule": "constant", "warmup_fraction": 0.0}

    def __init__(self, config: TwoTowerConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if config.n_ssl < 2:
            raise RecipeError(f"two_tower_ssl n_ssl must be at least 2 (InfoNCE needs negatives), got {config.n_ssl}.")
        if not 0.0 <= config.value_dropout < 1.0:
            raise RecipeError(f"two_tower_ssl value_dropout must be in [0, 1), got {config.value_dropout}.")
        self.n_users, self.n_items = int(input_spec["n_users"]), int(input_spec["n_items"])
        item_features = {"id": self.n_items + 1, **{n: s["size"] for n, s in input_spec["item_features"].items()}}
        user_features = {"id": self.n_users + 1, **{n: s["size"] for n, s in input_spec["user_features"].items()}}
        self.multi_valued = [n for n, s in input_spec["item_features"].items() if s["multi"]]
        self.user_tower = Tower(user_features, config.embedding_dim, config.tower_dims)
        self.item_tower = Tower(item_features, config.embedding_dim, config.tower_dims)
        self.main_objective = InfoNCE(temperature=config.temperature)
        self.ssl_objective = InfoNCE(temperature=config.ssl_temperature)
        self.ssl_weight = float(config.ssl_weight) if config.ssl != "none" else 0.0
        self._mask_table: torch.Tensor | None = None

    # -- features ----------------------------------------------------------------------------------
    @staticmethod
    def _codes(batch: dict[str, torch.Tensor], side: str, index: torch.Tensor) -> dict[str, torch.Tensor]:
        """Feature codes of the rows ``index`` of one side; the id is code ``index + 1`` (0 pads)."""
        prefix = f"{side}_features/"
        codes = {key[len(prefix):]: value[index] for key, value in batch.items() if key.startswith(prefix)}
        return {"id": (index + 1)[:, None], **codes}

    def user_vectors(self, batch, users: torch.Tensor) -> torch.Tensor:
        return self.user_tower(self._codes(batch, "user", users))

    def item_vectors(self, batch, items: torch.Tensor, masked: torch.Tensor | None = None, dropout: float = 0.0, generator=None) -> torch.Tensor:
        codes = self._codes(batch, "item", items)
        if dropout > 0:
            codes = {name: value_dropout(value, dropout, generator) if name in self.multi_valued else value for name, value in codes.items()}
        return self.item_tower(codes, masked)

    # -- losses --------------------------------------------------------------------------------------
    def supervised_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Batch softmax: each user's positive item against the other items of the batch."""
        loss, logs = self.main_objective(self.user_vectors(batch, batch["user"]), self.item_vectors(batch, batch["item"]))
        return loss, {"batch_softmax": logs["loss"], "accuracy": logs["accuracy"]}

    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self.config.ssl == "none":
            return batch["user"].new_zeros((), dtype=torch.float32), {}
        device = batch["user"].device
        generator = self.generator(device)
        k = len(self.item_tower.names)
        items = torch.randint(self.n_items, (self.config.n_ssl,), generator=generator, device=device)
        if self.config.ssl == "cfm" and self._mask_table is None:
            codes = self._codes(batch, "item", torch.arange(self.n_items, device=device))
            self._mask_table = correlated_masks([codes[name].cpu().numpy() for name in self.item_tower.names])
        first = complementary_masks(self.config.ssl, len(items), self._mask_table, k, generator, device)
        view = lambda masked: self.item_vectors(batch, items, masked, self.config.value_dropout, generator)
        loss, logs = self.ssl_objective(view(first), view(~first))
        return loss, {"infonce": logs["loss"], "accuracy": logs["accuracy"]}

    # -- embeddings ----------------------------------------------------------------------------------
    def user_item_embeddings(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(U, D), (I, D) unit vectors: their dot product is the cosine score of the batch softmax."""
        device = batch["user"].device
        users = self.user_vectors(batch, torch.arange(self.n_users, device=device))
        items = self.item_vectors(batch, torch.arange(self.n_items, device=device))
        return nn.functional.normalize(users, dim=-1), nn.functional.normalize(items, dim=-1)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        users = nn.functional.normalize(self.user_vectors(batch, batch["user"]), dim=-1)
        items = nn.functional.normalize(self.item_vectors(batch, batch["item"]), dim=-1)
        return mark_unknown(batch, torch.cat([users, items], dim=1))

    @classmethod
    def without_ssl(cls, options: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
        """The baseline without SSL: the same towers trained on the batch softmax alone (``ssl: none``); none when the
        run has no SSL term."""
        if options.get("ssl", TwoTowerConfig.ssl) == "none":
            return None
        return "two_tower_ssl", {**options, "ssl": "none"}, "two towers without SSL (ssl: none)"
