"""SelfTask (Jin et al. 2020, arXiv 2006.10141; reference ChandlerBang/SelfTask-GNN): a GNN trained
with a graph pretext task, next to node classification (joint) or alone (label-free).

``h = dropout(relu(f(X, A')))`` with ``f`` the first ``encoder_layers`` graph-convolution layers and
``A'`` the graph the task trains on (EdgeMask hides edges). Joint mode:
``L = NLL(softmax(g(h, A'))[train], y[train]) + lambda * L_task(h)`` with ``g`` one more layer of the
encoder's kind, so the default is the reference's 2-layer GCN (hidden 128, dropout 0.5). Label-free
mode (``supervised=False``, or a graph without labelled training nodes): ``L = L_task(h)``.
``lambda`` defaults to the task's Cora value in the reference configs. ``embed`` is ``relu(f(X, A))``
on the full graph, one row per node.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.errors import RecipeError, did_you_mean
from multissl.methods.base import Method, warmup_then_decay
from multissl.methods.components import build_encoder
from multissl_graph.tasks import TASKS


@dataclasses.dataclass
class SelfTaskConfig:
    """SelfTask options; defaults follow the reference on Cora."""

    task: str = "pairwise_distance"
    """One of ``pairwise_distance``, ``node_property``, ``edge_mask``."""
    task_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword options of the task (e.g. ``pairs_per_class``, ``mask_ratio``)."""
    ssl_weight: float | None = None
    """lambda; ``None`` takes the task's reference value."""
    supervised: bool = True
    """Add the node-classification loss on labelled training nodes (joint training)."""
    encoder: str = "gcn"
    hidden_dim: int = 128
    encoder_layers: int = 1
    dropout: float = 0.5


class SelfTask(Method):
    """Graph pretext task, joint with node classification or alone."""

    Config = SelfTaskConfig
    # the reference (SelfTask-GNN train_ssl.py): Adam lr 0.01, L2 weight decay 5e-4, no schedule
    optimizer_defaults = {"lr": 0.01, "weight_decay": 5e-4, "schedule": "constant", "warmup_fraction": 0.0}

    def __init__(self, config: SelfTaskConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if config.task not in TASKS:
            raise RecipeError(f"Unknown SelfTask task {config.task!r}.{did_you_mean(config.task, TASKS)} Tasks: {sorted(TASKS)}.")
        self.encoder = build_encoder(
            config.encoder, {"input_dim": input_spec["input_dim"]},
            {"hidden_dim": config.hidden_dim, "num_layers": config.encoder_layers, "dropout": config.dropout},
        )
        try:
            self.task = TASKS[config.task](config.hidden_dim, **config.task_options)
        except TypeError as exc:
            raise RecipeError(f"SelfTask task {config.task!r} rejected task_options {config.task_options}: {exc}") from exc
        self.ssl_weight = self.task.default_weight if config.ssl_weight is None else config.ssl_weight
        num_classes = input_spec.get("num_classes", 0)
        self.classifier = self.encoder.conv(config.hidden_dim, num_classes) if config.supervised and num_classes > 1 else None
        self._shared_hidden: tuple[torch.Tensor, torch.Tensor] | None = None

    def _training_hidden(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h, A')``: dropout of the first-layer output on the graph the task trains on."""
        self.task.prepare(batch["edge_index"], batch["x"].shape[0], self.seed)
        edge_index = self.task.training_graph(batch["edge_index"])
        h = torch.relu(self.encoder(batch["x"], edge_index))
        return nn.functional.dropout(h, self.config.dropout, self.training), edge_index

    def ssl_loss(self, batch):
        h, edge_index = self._training_hidden(batch)
        self._shared_hidden = (h, edge_index)  # the base calls ssl_loss first: one forward serves both terms
        return self.task.loss(h, self.generator(h.device))

    def supervised_loss(self, batch):
        shared, self._shared_hidden = self._shared_hidden, None
        labelled = batch["train_mask"]
        if self.classifier is None or not labelled.any():
            return None
        h, edge_index = shared if shared is not None else self._training_hidden(batch)
        log_probs = torch.log_softmax(self.classifier(h, edge_index), dim=1)
        loss = nn.functional.nll_loss(log_probs[labelled], batch["y"][labelled])
        return loss, {"nll": loss.detach()}

    def configure_optimizers(self) -> dict[str, Any]:
        """Adam with L2 weight decay on every weight (``g + wd * w`` added to the gradient), as the reference
        trains GCNs; the core's AdamW decouples the decay, which at lr 0.01 barely regularises a GCN.
        The core's warm-up and decay schedule applies unchanged."""
        options = self.optimizer_options
        optimizer = torch.optim.Adam(self.parameters(), lr=options.lr, betas=options.betas, weight_decay=options.weight_decay)
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_then_decay(step, total, options))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def predict_classes(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N,) predicted node classes on the full graph (joint mode)."""
        if self.classifier is None:
            raise RecipeError("This SelfTask run was trained without labels (supervised=False): it has no classifier.")
        h = torch.relu(self.encoder(batch["x"], batch["edge_index"]))
        return self.classifier(h, batch["edge_index"]).argmax(dim=1)

    def embed(self, batch):
        return torch.relu(self.encoder(batch["x"], batch["edge_index"]))


@dataclasses.dataclass
class PairwiseDistanceConfig(SelfTaskConfig):
    task: str = "pairwise_distance"


@dataclasses.dataclass
class NodePropertyConfig(SelfTaskConfig):
    task: str = "node_property"


@dataclasses.dataclass
class EdgeMaskConfig(SelfTaskConfig):
    task: str = "edge_mask"


class PairwiseDistanceSelfTask(SelfTask):
    """SelfTask with the PairwiseDistance task."""

    Config = PairwiseDistanceConfig


class NodePropertySelfTask(SelfTask):
    """SelfTask with the NodeProperty task."""

    Config = NodePropertyConfig


class EdgeMaskSelfTask(SelfTask):
    """SelfTask with the EdgeMask task."""

    Config = EdgeMaskConfig
