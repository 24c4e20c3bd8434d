"""SGL: LightGCN + BPR with a contrast between two augmented views of the user-item graph.

Wu et al. 2021 (SGL): ``L = L_BPR + λ_cl L_cl + λ ‖Θ‖²``; the views are two independent draws of one of the paper's
three augmentations with ratio ``ρ`` (``augmentation``, :mod:`multissl_recsys.graph_views`): node dropout
(SGL-ND), edge dropout (SGL-ED, the default, the paper's best on most data) or random walk (SGL-RW: an
edge dropout per layer). As in the SGL code the two graphs are drawn at the start of every epoch and
kept for its steps; each is normalised and propagated by the same LightGCN. ``L_cl`` is
:func:`multissl_recsys.graph_contrast.view_contrast` (core InfoNCE, temperature τ). Defaults are the paper's:
ρ 0.1, λ_cl 0.1, τ 0.2. At the papers' Adam lr 1e-3 the BPR loss stays at log 2 for epochs while the contrast
steers every step (SGL-Torch's own Amazon-Book log: six epochs); on Gowalla lr 1e-2 ends that within about
100 steps (the recipe ``gowalla_sgl``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch

from multissl.errors import RecipeError
from multissl_recsys.graph_contrast import ContrastiveLightGCN, ContrastiveLightGCNConfig
from multissl_recsys.graph_views import sgl_augmentation
from multissl_recsys.user_item_input import graph_inputs


@dataclasses.dataclass
class SGLConfig(ContrastiveLightGCNConfig):
    """Options of ``sgl``."""

    drop_ratio: float = 0.1
    """ρ: the share of nodes (node_drop) or interactions (edge_drop, random_walk) each view drops."""
    augmentation: Literal["edge_drop", "node_drop", "random_walk"] = "edge_drop"
    """SGL-ED, SGL-ND or SGL-RW."""


@dataclasses.dataclass(frozen=True)
class EpochViews:
    """The two augmented graphs drawn for one epoch (SGL code: one draw per epoch)."""

    epoch: int
    graphs: tuple[Any, Any]


class SGL(ContrastiveLightGCN):
    """SGL with node dropout, edge dropout or random walk views."""

    Config = SGLConfig

    def __init__(self, config: SGLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if not 0.0 < config.drop_ratio < 1.0:
            raise RecipeError(f"sgl drop_ratio must be in (0, 1), got {config.drop_ratio}.")
        self.augmentation = sgl_augmentation(config.augmentation, config.drop_ratio, config.n_layers)
        self._epoch_views: EpochViews | None = None

    def views(self, batch: dict[str, torch.Tensor]) -> tuple[Any, Any]:
        """The two augmented, normalised graphs of the current epoch (one graph per layer for random walk)."""
        if self._epoch_views is None or self._epoch_views.epoch != self.current_epoch:
            inputs = graph_inputs(batch, self.n_users, self.n_items)
            generator = self.generator(inputs.x.device)
            graphs = tuple(self.augmentation(inputs, generator).inputs.context["adjacency"] for _ in range(2))
            self._epoch_views = EpochViews(self.current_epoch, graphs)
        return self._epoch_views.graphs

    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        first, second = self.views(batch)
        return self.contrast_views(self.propagate(first), self.propagate(second), batch)
