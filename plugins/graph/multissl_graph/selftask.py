"""SelfTask (Jin et al. 2020, arXiv 2006.10141; reference ChandlerBang/SelfTask-GNN): a GNN trained
with a graph pretext task, next to node classification (joint) or alone (label-free).

``h = relu(f(t(X), A'))`` with ``f`` the first ``encoder_layers`` graph-convolution layers, ``t`` the
task's input map (PCA for AttributeMask, else identity) and ``A'``, ``X'`` the graph and features the
task trains on (EdgeMask hides edges, AttributeMask features). Joint mode:
``L = NLL(softmax(g(dropout(h), A'))[train], y[train]) + lambda * L_task(h)`` with ``g`` one more layer
of the encoder's kind, so the default is the reference's 2-layer GCN (hidden 128, dropout 0.5); the
task reads ``dropout(h)`` (``h`` itself for ContextLabel), as the reference. Label-free mode
(``supervised=False``, or a graph without labelled training nodes): ``L = L_task(h)``; tasks that need
labels (Distance2Labeled, ContextLabel) refuse it. ``lambda`` and the task's per-dataset options default
to the reference's values for the dataset named by ``reference_settings`` (Cora unless a recipe says
otherwise; :mod:`multissl_graph.tasks.reference_settings`); ``ssl_weight=0`` trains the GCN alone (the
task is not computed). One forward per step (:meth:`SelfTask.forward_step`) serves both loss terms.

Validation (a graph with ``val_mask`` nodes): accuracy on those nodes in eval mode on the full graph;
the best checkpoint follows it and the run keeps its weights (``trainer.restore_best``), as the
reference's early stopping on validation accuracy. ``embed`` is ``relu(f(t(X), A))``, one row per node.
On neighbour-loader mini-batches (``data.loader: neighbor``) the loss reads the seed nodes only (EdgeMask: the
sampled edges of the batch); the tasks that need the whole graph at every step (PairwiseDistance, PairwiseAttrSim,
Distance2Labeled, ContextLabel: their ``whole_graph`` says why) refuse them before the first step. Joint training
on mini-batches needs one sampled hop per layer of encoder and classifier (two ``num_neighbors`` entries with the
default one-layer encoder).

The task's targets and the encoder's input of the training graph (``t(X)``, as a sparse CSR tensor
when at most 10% of it is non-zero) are computed once, from the full graph of the first training step.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import torch
from torch import nn

from multissl.errors import RecipeError, did_you_mean
from multissl.methods.base import Method, warmup_then_decay
from multissl.methods.components import build_encoder
from multissl_graph.tasks import TASKS
from multissl_graph.tasks.base import TrainingInputs
from multissl_graph.tasks.reference_settings import DATASETS, reference_options, reference_weight


SPARSE_INPUT_ENCODERS = ("gcn", "gat")
"""Encoders whose first layer multiplies ``x`` by its weight before passing messages, so ``x`` may be sparse."""


@dataclasses.dataclass
class SelfTaskConfig:
    """SelfTask options; defaults follow the reference on Cora."""

    task: str = "pairwise_distance"
    """One of ``node_property``, ``edge_mask``, ``pairwise_distance``, ``distance2clusters``,
    ``attribute_mask``, ``pairwise_attr_sim``, ``distance2labeled``, ``context_label``."""
    task_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """Keyword options of the task (e.g. ``pairs_per_class``, ``mask_ratio``, ``filler``, ``label_correction``);
    they override the reference's options for ``reference_settings``."""
    ssl_weight: float | None = None
    """lambda; ``None`` takes the reference's value for the task on ``reference_settings``; 0 trains the supervised
    model alone."""
    reference_settings: str = "cora"
    """The dataset whose reference settings (lambda, METIS parts, label-correction samples) are the defaults:
    ``cora``, ``citeseer`` or ``pubmed``."""
    supervised: bool = True
    """Add the node-classification loss on labelled training nodes (joint training)."""
    encoder: str = "gcn"
    hidden_dim: int = 128
    encoder_layers: int = 1
    dropout: float = 0.5


class SelfTask(Method):
    """Graph pretext task, joint with node classification or alone."""

    Config = SelfTaskConfig
    # the reference (SelfTask-GNN train_ssl.py): Adam lr 0.01, L2 weight decay 5e-4, no schedule, 200 epochs,
    # the checkpoint of best validation accuracy
    optimizer_defaults = {"lr": 0.01, "weight_decay": 5e-4, "schedule": "constant", "warmup_fraction": 0.0}
    trainer_defaults = {"max_epochs": 200, "restore_best": True}

    def __init__(self, config: SelfTaskConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if config.task not in TASKS:
            raise RecipeError(f"Unknown SelfTask task {config.task!r}.{did_you_mean(config.task, TASKS)} Tasks: {sorted(TASKS)}.")
        if config.reference_settings not in DATASETS:
            raise RecipeError(
                f"Unknown SelfTask reference_settings {config.reference_settings!r}: the reference has settings for "
                f"{list(DATASETS)}. Name the closest, and set ssl_weight and task_options for your graph."
            )
        task_cls = TASKS[config.task]
        num_classes = input_spec.get("num_classes", 0)
        if task_cls.needs_labels and not config.supervised:
            raise RecipeError(
                f"SelfTask task {config.task!r} builds its targets from labelled nodes, so it trains jointly only: "
                "drop supervised=False, or pick a label-free task (node_property, edge_mask, pairwise_distance, "
                "distance2clusters, attribute_mask, pairwise_attr_sim)."
            )
        task_options = reference_options(config.task, config.reference_settings, config.task_options)
        try:
            self.task = task_cls(config.hidden_dim, input_spec, **task_options)
        except (TypeError, ValueError) as exc:
            raise RecipeError(f"SelfTask task {config.task!r} rejected task_options {task_options}: {exc}") from exc
        self.encoder = build_encoder(
            config.encoder, {"input_dim": self.task.encoder_input_dim},
            {"hidden_dim": config.hidden_dim, "num_layers": config.encoder_layers, "dropout": config.dropout},
        )
        if config.ssl_weight is None:
            self.ssl_weight = reference_weight(config.task, config.reference_settings, getattr(self.task, "filler", None))
        else:
            self.ssl_weight = config.ssl_weight
        self.classifier = self.encoder.conv(config.hidden_dim, num_classes) if config.supervised and num_classes > 1 else None
        self._training_input: torch.Tensor | None = None  # t(X) of the training graph, computed once

    def _encoder_input(self, x: torch.Tensor) -> torch.Tensor:
        """``t(x)``, as a sparse CSR tensor when at most 10% of it is non-zero (bag-of-words features: Cora 1.3%) and
        the first layer multiplies ``x`` by its weight: that product costs 3-4x less on CPU, the values are the same."""
        x = self.task.encoder_inputs(x)
        if self.config.encoder not in SPARSE_INPUT_ENCODERS or x.ndim != 2 or torch.count_nonzero(x) > 0.1 * x.numel():
            return x
        with warnings.catch_warnings():  # "sparse CSR support is in beta": matrix products with it are stable
            warnings.simplefilter("ignore", UserWarning)
            return x.to_sparse_csr()

    def forward_step(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, TrainingInputs]:
        """``(h, dropout(h), inputs)``: one forward on the graph and features the task trains on (``inputs``)."""
        nodes = batch.get("n_id")
        self.task.prepare(batch.get("graph", batch), self.seed)  # the targets of the full graph, once
        if nodes is None and self._training_input is None:  # the full graph's t(X), once
            self._training_input = self._encoder_input(batch["x"])
        x = self._training_input if nodes is None else self.task.encoder_inputs(batch["x"])  # a mini-batch's own rows
        inputs = self.task.training_inputs(x, batch["edge_index"], nodes)
        h = torch.relu(self.encoder(inputs.x, inputs.edge_index))
        return h, nn.functional.dropout(h, self.config.dropout, self.training), inputs

    def check_batches(self, loader) -> None:
        """Refuse neighbour mini-batches (:mod:`multissl_graph.seed_batches`) for a task that needs the whole graph,
        before training starts."""
        from multissl_graph.seed_batches import NeighborBatches

        if isinstance(getattr(loader, "dataset", None), NeighborBatches) and self.task.whole_graph and self.ssl_weight != 0:
            allowed = sorted(name for name, task in TASKS.items() if not task.whole_graph)
            raise RecipeError(
                f"SelfTask task {self.config.task!r} cannot train on neighbour mini-batches (data.loader: neighbor): "
                f"{self.task.whole_graph}. Use the full-batch loader (data.loader: full) on a graph that fits in memory, "
                f"or one of the tasks {allowed}, which train on mini-batches."
            )

    def ssl_loss(self, batch, outputs):
        h, dropped, inputs = outputs
        if self.ssl_weight == 0:
            return torch.zeros((), device=h.device), {}
        seeds = batch.get("seed_count")
        features = dropped if self.task.after_dropout else h
        if seeds is not None:  # neighbour-loader mini-batch: the seed nodes come first
            rows = len(features) if self.task.reads_neighbourhood else int(seeds)
            return self.task.loss(features[:rows], self.generator(h.device), batch["n_id"][:rows], inputs)
        return self.task.loss(features, self.generator(h.device), None, inputs)

    def supervised_loss(self, batch, outputs):
        _, dropped, inputs = outputs
        labelled = batch["train_mask"]
        if self.classifier is None or not labelled.any():
            return None
        log_probs = torch.log_softmax(self.classifier(dropped, inputs.edge_index), dim=1)
        loss = nn.functional.nll_loss(log_probs[labelled], batch["y"][labelled])
        return loss, {"nll": loss.detach()}

    def validation_step(self, batch, batch_idx):
        """Accuracy and NLL on the ``val_mask`` nodes (joint mode); the task's loss in label-free mode."""
        if self.classifier is None:
            return super().validation_step(batch, batch_idx)
        rows = batch["val_mask"] & (batch["y"] >= 0)
        log_probs = torch.log_softmax(self._class_scores(batch), dim=1)[rows]
        accuracy = (log_probs.argmax(dim=1) == batch["y"][rows]).float().mean()
        self.log("val/accuracy", accuracy, prog_bar=True, batch_size=int(rows.sum()))
        self.log("val/nll", nn.functional.nll_loss(log_probs, batch["y"][rows]), batch_size=int(rows.sum()))

    def checkpoint_monitor(self) -> tuple[str, str]:
        return ("val/accuracy", "max") if self.classifier is not None else ("val/loss", "min")

    def configure_optimizers(self) -> dict[str, Any]:
        """Adam with L2 weight decay on every weight (``g + wd * w`` added to the gradient), as the reference
        trains GCNs; the core's AdamW decouples the decay, which at lr 0.01 barely regularises a GCN.
        The core's warm-up and decay schedule applies unchanged."""
        options = self.optimizer_options
        optimizer = torch.optim.Adam(self.parameters(), lr=options.lr, betas=tuple(options.betas), eps=options.eps, weight_decay=options.weight_decay)
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_then_decay(step, total, options))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _class_scores(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        h = self.embed(batch)
        return self.classifier(h, batch["edge_index"])

    def predict_classes(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(N,) predicted node classes on the full graph (joint mode)."""
        if self.classifier is None:
            raise RecipeError("This SelfTask run was trained without labels (supervised=False): it has no classifier.")
        return self._class_scores(batch).argmax(dim=1)

    def embed(self, batch):
        """(N, D) node embeddings; on a neighbour mini-batch, those of its seed nodes (from sampled neighbourhoods)."""
        h = torch.relu(self.encoder(self.task.encoder_inputs(batch["x"]), batch["edge_index"]))
        seeds = batch.get("seed_count")
        return h if seeds is None else h[: int(seeds)]


def _single_task_method(task: str, name: str) -> tuple[type[SelfTaskConfig], type[SelfTask]]:
    """``(<name>Config, <name>SelfTask)``: SelfTask with ``task`` as the default task, so that each task is a
    method of its own name. Both are bound below at module level under those names, so the registry strings
    ``multissl_graph.selftask:<name>SelfTask`` and pickles find them."""
    config = dataclasses.make_dataclass(f"{name}Config", [("task", str, dataclasses.field(default=task))], bases=(SelfTaskConfig,))
    config.__module__ = __name__
    method = type(f"{name}SelfTask", (SelfTask,), {"Config": config, "__doc__": f"SelfTask with the {name} task.", "__module__": __name__})
    return config, method


PairwiseDistanceConfig, PairwiseDistanceSelfTask = _single_task_method("pairwise_distance", "PairwiseDistance")
NodePropertyConfig, NodePropertySelfTask = _single_task_method("node_property", "NodeProperty")
EdgeMaskConfig, EdgeMaskSelfTask = _single_task_method("edge_mask", "EdgeMask")
Distance2ClustersConfig, Distance2ClustersSelfTask = _single_task_method("distance2clusters", "Distance2Clusters")
AttributeMaskConfig, AttributeMaskSelfTask = _single_task_method("attribute_mask", "AttributeMask")
PairwiseAttrSimConfig, PairwiseAttrSimSelfTask = _single_task_method("pairwise_attr_sim", "PairwiseAttrSim")
Distance2LabeledConfig, Distance2LabeledSelfTask = _single_task_method("distance2labeled", "Distance2Labeled")
ContextLabelConfig, ContextLabelSelfTask = _single_task_method("context_label", "ContextLabel")
