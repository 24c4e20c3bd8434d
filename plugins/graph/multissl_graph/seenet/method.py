"""SEENet (Li, Zhou, ..., Xiong, KDD 2023; references PaddlePaddle/PaddleSpatial ``research/SEENet`` and
anonymous-kdd/Submission1110): multi-temporal relation inference between locations.

The core ``Method`` assembly, ``loss = supervised + ssl_weight * ssl``, one forward per step
(:meth:`SEENet.forward_step`) read by both terms, run as the paper's two stages in one fit; the
:class:`~multissl_graph.seenet.stages.SEENetStages` callback (added by ``configure_callbacks``) moves
from one to the other and keeps the best weights:

1. **pretrain** (``ssl=True``): ``L_ssl = sum_t [w_global L_infomax,t + w_local L_evolve,t] + 1e-6 R_dist``
   on the full training graph, no supervised term; stops after ``pretrain_patience`` epochs without
   a lower loss (or ``pretrain_epochs``) and keeps the weights of the lowest loss.
2. **train**: a fresh optimizer state; ``L = L_DistMult`` on a random ``edge_keep`` share of the training
   relations per epoch (5 negatives per positive), plus ``train_ssl_weight * L_ssl`` (0 in the paper);
   every ``evaluate_every`` epochs the filtered validation MRR@10 is measured and the best weights are
   restored at the end.

``encoder`` picks SEConv (``seenet``) or a baseline (``rgcn``: R-GCN + DistMult, ``distmult``: free
embeddings). ``embed`` gives each location's slot embeddings concatenated, (N, S * D).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from multissl.errors import RecipeError
from multissl.methods.base import Method, warmup_then_decay
from multissl_graph.seenet.baselines import FreeEmbeddingEncoder, RGCNEncoder
from multissl_graph.seenet.distmult import DistMult
from multissl_graph.seenet.encoder import SEConvEncoder
from multissl_graph.seenet.evolving_constraint import EvolvingConstraint
from multissl_graph.seenet.ranking import slot_metrics
from multissl_graph.seenet.spatial_infomax import SpatialInfomax
from multissl_graph.seenet.stages import SEENetStages

log = logging.getLogger(__name__)
ENCODERS = ("seenet", "rgcn", "distmult")


@dataclasses.dataclass
class SEENetConfig:
    """SEENet options; defaults follow the reference on Tokyo."""

    encoder: Literal["seenet", "rgcn", "distmult"] = "seenet"
    ssl: bool = True
    """Pretrain with SE-SSL before training the relation model."""
    hidden_dim: int = 64
    dropout: float = 0.2
    context_neighbors: int = 5
    negatives: int = 5
    edge_keep: float = 0.8
    """Share of training relations that carry messages in each training epoch."""
    global_weight: float = 1.0
    local_weight: float = 0.1
    smoothness_weight: float = 1e-6
    grid_batch_cells: int = 128
    grid_negative_ratio: int = 8
    pretrain_epochs: int = 2000
    pretrain_patience: int = 100
    train_epochs: int = 3000
    evaluate_every: int = 10
    train_ssl_weight: float = 0.0
    """SE-SSL weight during the train stage (0: the paper's pretrain-then-train; > 0: joint training)."""
    grad_norm: float = 1.0
    """Gradient-norm clipping (0: none, as the Paddle reference)."""
    embedding_init: Literal["normal", "xavier"] = "normal"
    """SEConv's location embedding: N(0, 1) (PyTorch reference) or Xavier-uniform (Paddle reference)."""


class SEENet(Method):
    """SEConv encoder + DistMult decoder, SE-SSL pretraining, selection on validation MRR@10."""

    Config = SEENetConfig
    # the PyTorch reference (train_ssl.py / train_trial.py): Adam lr 1e-2, L2 weight decay 1e-4, no schedule, clip 1.0
    # (the Paddle reference's Tokyo script: L2 1e-5, no clipping)
    optimizer_defaults: ClassVar[dict[str, Any]] = {"lr": 0.01, "weight_decay": 1e-4, "schedule": "constant", "warmup_fraction": 0.0}
    trainer_defaults: ClassVar[dict[str, Any]] = {"max_epochs": 5100}

    def __init__(self, config: SEENetConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if config.encoder not in ENCODERS:
            raise RecipeError(f"Unknown SEENet encoder {config.encoder!r}; choose one of {list(ENCODERS)}.")
        if not 0 < config.edge_keep <= 1 or config.negatives < 1 or config.evaluate_every < 1 or config.train_epochs < 1:
            raise RecipeError("SEENet needs 0 < edge_keep <= 1, negatives >= 1, evaluate_every >= 1 and train_epochs >= 1.")
        if config.embedding_init not in ("normal", "xavier"):
            raise RecipeError(f"Unknown SEENet embedding_init {config.embedding_init!r}; choose 'normal' (N(0, 1)) or 'xavier'.")
        self.slots = list(input_spec["slots"])
        s, n, k, d = len(self.slots), input_spec["num_locations"], input_spec["num_kinds"], config.hidden_dim
        if config.encoder == "seenet":
            self.encoder = SEConvEncoder(n, s, k, input_spec["num_distance_bins"], d, config.dropout, config.context_neighbors,
                                         config.embedding_init)
        elif config.encoder == "rgcn":
            self.encoder = RGCNEncoder(n, s, k * s, d, config.dropout)
        else:
            self.encoder = FreeEmbeddingEncoder(n, s, d)
        self.decoder = DistMult(k * s, s, d)
        self.infomax = SpatialInfomax(d)
        self.evolving = EvolvingConstraint(d, s)
        self.stage = "pretrain" if config.ssl else "train"
        """Which loss the steps train: ``pretrain`` (SE-SSL) or ``train`` (DistMult); :class:`SEENetStages` moves it on."""
        self.stages: SEENetStages | None = None

    @property
    def ssl_weight(self) -> float:  # the base reads it to weigh the SSL term
        return 1.0 if self.stage == "pretrain" else self.config.train_ssl_weight

    # -- forward ------------------------------------------------------------------------------
    def encode(self, graph: dict[str, torch.Tensor], keep: torch.Tensor | None = None) -> torch.Tensor:
        """(S, N, D) slot embeddings; in eval mode the context sampling uses a fixed seed (deterministic)."""
        generator = self.generator(graph["train"].device)
        if not self.training:
            generator = torch.Generator(device=graph["train"].device).manual_seed(self.seed)
        return self.encoder(graph, keep, generator)

    def forward_step(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """(S, N, D) slot embeddings of the step: on the full training graph while pretraining (SE-SSL reads it,
        as the reference), on a random ``edge_keep`` share of the training relations while training."""
        if self.stage == "pretrain":
            return self.encode(batch)
        draws = torch.rand(batch["train"].shape[0], generator=self.generator(batch["train"].device), device=batch["train"].device)
        return self.encode(batch, draws < self.config.edge_keep)

    def ssl_loss(self, batch, outputs):
        if self.stage == "train" and self.config.train_ssl_weight == 0:
            return batch["train"].new_zeros((), dtype=torch.float32), {}
        return self.se_ssl_loss(outputs, batch)

    def se_ssl_loss(self, h: torch.Tensor, graph: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``sum_t [w_global L_infomax(H_t, H_t+1) + w_local L_evolve] + w_smooth R_dist``."""
        config = self.config
        cells = SpatialInfomax.sample(graph, config.grid_batch_cells, config.grid_negative_ratio, self.generator(h.device))
        infomax = sum(self.infomax(h[t], h[(t + 1) % h.shape[0]], cells) for t in range(h.shape[0]))
        evolving = self.evolving(h, graph)
        loss = config.global_weight * infomax + config.local_weight * evolving
        logs = {"global_infomax": infomax.detach(), "local_evolving": evolving.detach()}
        if isinstance(self.encoder, SEConvEncoder):
            smooth = self.encoder.distance.smoothness()
            loss = loss + config.smoothness_weight * smooth
            logs["distance_smoothness"] = smooth.detach()
        return loss, logs

    def supervised_loss(self, batch, outputs):
        if self.stage == "pretrain":
            return None
        loss = self.decoder.loss(outputs, batch["train"], self.config.negatives, self.generator(outputs.device))
        return loss, {"distmult": loss.detach()}

    def embed(self, batch):
        h = self.encode(batch)
        return h.permute(1, 0, 2).reshape(h.shape[1], -1)

    @torch.no_grad()
    def rank(self, graph: dict[str, torch.Tensor], split: str = "test", ks=(5, 10, 20)) -> dict[str, float]:
        """Filtered Hit@K / MRR@K of ``split``'s triples, per slot and weighted (:mod:`.ranking`)."""
        was_training = self.training
        self.eval()
        h = self.encode(graph)
        self.train(was_training)
        s = len(self.slots)

        def score_all(queries: torch.Tensor) -> torch.Tensor:
            queries = queries.to(h.device)
            slot = h[int(queries[0, 1]) % s]
            return (slot[queries[:, 0]] * self.decoder.relations[queries[:, 1]]) @ slot.T

        arrays = {key: graph[key].cpu().numpy() for key in ("train", "valid", "test")}
        known = np.concatenate(list(arrays.values()))
        return slot_metrics(score_all, arrays[split], known, arrays["train"], self.slots, h.shape[1], ks)

    # -- the two stages ---------------------------------------------------------------------------
    def configure_callbacks(self) -> list[SEENetStages]:
        """The stage schedule of this fit (:mod:`.stages`), kept as ``self.stages`` for its progress and history."""
        config = self.config
        self.stages = SEENetStages(config.pretrain_epochs, config.pretrain_patience, config.train_epochs, config.evaluate_every)
        return [self.stages]

    def on_fit_start(self) -> None:
        needed = self.config.train_epochs + (self.config.pretrain_epochs if self.stage == "pretrain" else 0)
        if self.trainer.max_epochs is not None and 0 <= self.trainer.max_epochs < needed:
            log.warning("trainer.max_epochs=%d may end SEENet before its %d train epochs (pretraining takes up to %d).",
                        self.trainer.max_epochs, self.config.train_epochs, self.config.pretrain_epochs)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_save_checkpoint(checkpoint)
        checkpoint["seenet"] = {"stage": self.stage}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(checkpoint)
        if "seenet" in checkpoint:
            self.stage = checkpoint["seenet"]["stage"]

    # -- optimisation -----------------------------------------------------------------------------
    def configure_optimizers(self) -> dict[str, Any]:
        """Adam with L2 weight decay added to the gradient, as the reference (the core's AdamW decouples it)."""
        options = self.optimizer_options
        optimizer = torch.optim.Adam(self.parameters(), lr=options.lr, betas=tuple(options.betas), eps=options.eps, weight_decay=options.weight_decay)
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: warmup_then_decay(step, total, options))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None) -> None:
        """Clip the gradient norm to ``grad_norm`` (the reference's 1.0) unless the trainer sets its own."""
        value = gradient_clip_val if gradient_clip_val is not None else self.config.grad_norm
        if value:
            self.clip_gradients(optimizer, gradient_clip_val=value, gradient_clip_algorithm=gradient_clip_algorithm or "norm")
