"""SGL-ED: LightGCN + BPR with a contrast between two edge-dropped views of the graph.

Wu et al. 2021 (SGL): ``L = L_BPR + λ_cl L_cl + λ ‖Θ‖²``; the views are the graph with each interaction
dropped with probability ``drop_ratio`` (SGL-ED), two independent draws redrawn at the start of every
epoch as in the SGL code; each view is normalised and propagated by the same LightGCN. ``L_cl`` is
:func:`multissl_recsys.graph_contrast.view_contrast` (core InfoNCE, temperature τ). Defaults are the
paper's: drop ratio 0.1, λ_cl 0.1, τ 0.2. At the papers' Adam lr 1e-3 the BPR loss stays at log 2 for epochs while the
contrast steers every step (SGL-Torch's own Amazon-Book log: six epochs); on Gowalla lr 1e-2 ends that within about
100 steps (the recipe ``gowalla_sgl``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.errors import RecipeError
from multissl_recsys.adjacency import edge_dropped, normalized_adjacency
from multissl_recsys.graph_contrast import ContrastiveLightGCN, ContrastiveLightGCNConfig


@dataclasses.dataclass
class SGLConfig(ContrastiveLightGCNConfig):
    """Options of ``sgl``."""

    drop_ratio: float = 0.1


class SGL(ContrastiveLightGCN):
    """SGL with edge dropout (SGL-ED)."""

    Config = SGLConfig

    def __init__(self, config: SGLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if not 0.0 < config.drop_ratio < 1.0:
            raise RecipeError(f"sgl drop_ratio must be in (0, 1), got {config.drop_ratio}.")
        self._views: tuple[Any, tuple[torch.Tensor, torch.Tensor]] | None = None

    def views(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The two edge-dropped, normalised graphs of the current epoch."""
        key = (self.graph_key(batch), self.current_epoch)
        if self._views is None or self._views[0] != key:
            generator = self.generator(batch["graph_user"].device)
            graphs = []
            for _ in range(2):
                users, items = edge_dropped(batch["graph_user"], batch["graph_item"], self.config.drop_ratio, generator)
                graphs.append(normalized_adjacency(users, items, self.n_users, self.n_items))
            self._views = (key, tuple(graphs))
        return self._views[1]

    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        first, second = self.views(batch)
        return self.contrast_views(self.propagate(first), self.propagate(second), batch)
