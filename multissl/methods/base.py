"""The base every method builds on: one LightningModule for SSL alone or SSL next to a supervised loss.

``loss = supervised_loss + ssl_weight * ssl_loss`` when the method defines a supervised term
(SelfTask, the two-tower regulariser, SEENet), else ``loss = ssl_loss``. Subclasses implement
:meth:`ssl_loss` and :meth:`embed`; they read batches in the format of their modality. A method whose
two terms read one forward pass computes it in :meth:`forward_step`, and both terms receive its result.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import lightning as L
import torch

from multissl.errors import NonFiniteLossError
from multissl.recipe import OptimizerOptions


@dataclasses.dataclass
class NoConfig:
    """A method without options."""


class Method(L.LightningModule):
    """Views + encoder + heads + objective. ``Config`` is the dataclass of the method's recipe options."""

    Config: ClassVar[type] = NoConfig
    optimizer_defaults: ClassVar[dict[str, Any]] = {}
    """The method's own optimizer settings (e.g. its paper's lr), under the recipe's ``optimizer`` block."""
    trainer_defaults: ClassVar[dict[str, Any]] = {}
    """The method's own trainer settings (e.g. its paper's epochs), under the recipe's ``trainer`` block."""
    ssl_weight: float = 1.0

    def __init__(self, config: Any, input_spec: dict[str, Any], optimizer: OptimizerOptions | None = None, seed: int = 0):
        super().__init__()
        self.config = config
        self.input_spec = dict(input_spec)
        self.optimizer_options = optimizer or OptimizerOptions()
        self.seed = seed
        self._generator: torch.Generator | None = None
        self._generator_state: torch.Tensor | None = None

    # -- what subclasses provide -------------------------------------------------------------
    def ssl_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The self-supervised loss of a batch and its logs."""
        raise NotImplementedError

    def supervised_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]] | None:
        """The supervised term for joint training, or ``None`` (the default: SSL only)."""
        return None

    def forward_step(self, batch: dict[str, torch.Tensor]) -> Any:
        """The step's one forward pass that both loss terms read, or ``None`` (the default: each term runs its own).

        When it returns something, the step calls ``ssl_loss(batch, outputs)`` and ``supervised_loss(batch,
        outputs)`` with it, so a method never keeps a forward's result on ``self`` between the two calls."""
        return None

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Pooled (N, D) embeddings of a batch, the representation evaluated downstream."""
        raise NotImplementedError

    def check_batches(self, loader: Any) -> None:
        """Raise an error from :mod:`multissl.errors` for a training loader whose batches this method cannot train on
        (sampled sub-graphs for a task that needs the whole graph, one device where two are contrasted); called
        before training starts, in the launching process. The default accepts any."""

    def after_optimizer_step(self, steps: int) -> None:
        """Work that follows each optimiser step (an EMA target's update); ``steps`` counts the optimiser steps taken,
        this one included (``global_step`` counts it only once the step is over). Runs inside the step, before any
        callback's ``on_train_batch_end``, so a checkpoint taken there (every N steps, or on SIGTERM) holds it and a
        resumed run does not miss it. The default does nothing."""

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        super().optimizer_step(*args, **kwargs)
        self.after_optimizer_step(self.global_step + 1)

    def checkpoint_monitor(self) -> tuple[str, str]:
        """The logged validation metric the "best" checkpoint follows, and ``"min"`` or ``"max"``."""
        return "val/loss", "min"

    # -- randomness --------------------------------------------------------------------------
    def generator(self, device: torch.device) -> torch.Generator:
        """The view generator's RNG on ``device``, seeded by ``seed`` and the process rank; saved in checkpoints."""
        if self._generator is None or self._generator.device != device:
            self._generator = torch.Generator(device=device)
            self._generator.manual_seed(self.seed * 1_000_003 + self.global_rank)
            if self._generator_state is not None and device.type == "cpu":
                self._generator.set_state(self._generator_state)
        return self._generator

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self._generator is not None and self._generator.device.type == "cpu":
            checkpoint["multissl_generator_state"] = self._generator.get_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._generator_state = checkpoint.get("multissl_generator_state")
        self._generator = None

    # -- Lightning ---------------------------------------------------------------------------
    def _total_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        outputs = self.forward_step(batch)
        shared = () if outputs is None else (outputs,)
        loss, logs = self.ssl_loss(batch, *shared)
        logs = {f"ssl/{k}": v for k, v in logs.items()}
        supervised = self.supervised_loss(batch, *shared)
        if supervised is not None:
            supervised_loss, supervised_logs = supervised
            logs.update({f"supervised/{k}": v for k, v in supervised_logs.items()})
            loss = supervised_loss + self.ssl_weight * loss
        return loss, logs

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> dict[str, Any]:
        """The step's loss for Lightning, and its terms (detached) as ``logs``: a callback's
        ``on_train_batch_end`` receives both in ``outputs``."""
        loss, logs = self._total_loss(batch)
        if not torch.isfinite(loss.detach()):
            raise NonFiniteLossError(
                f"The training loss became {loss.item()} at epoch {self.current_epoch}, step {self.global_step}."
            )
        batch_size = _batch_size(batch)
        self.log("train/loss", loss.detach(), prog_bar=True, on_step=True, on_epoch=True, batch_size=batch_size)
        for name, value in logs.items():
            self.log(f"train/{name}", value, on_step=False, on_epoch=True, batch_size=batch_size)
        return {"loss": loss, "logs": {name: value.detach() if torch.is_tensor(value) else value for name, value in logs.items()}}

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, logs = self._total_loss(batch)
        batch_size = _batch_size(batch)
        self.log("val/loss", loss.detach(), prog_bar=True, on_epoch=True, batch_size=batch_size, sync_dist=True)
        for name, value in logs.items():
            self.log(f"val/{name}", value, on_epoch=True, batch_size=batch_size, sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        options = self.optimizer_options
        decay, no_decay = [], []
        for name, parameter in self.named_parameters():
            if parameter.requires_grad:
                (no_decay if parameter.ndim <= 1 or name.endswith(".bias") else decay).append(parameter)
        optimizer = (torch.optim.Adam if options.name == "adam" else torch.optim.AdamW)(
            [{"params": decay, "weight_decay": options.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=options.lr,
            betas=tuple(options.betas),
            eps=options.eps,
        )
        total = max(int(self.trainer.estimated_stepping_batches), 1)
        schedule = lambda step: warmup_then_decay(step, total, options)  # noqa: E731
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def warmup_then_decay(step: int, total_steps: int, options: OptimizerOptions) -> float:
    """Learning-rate multiplier: linear warm-up over ``warmup_fraction`` of steps, then cosine/linear/constant."""
    warmup = int(options.warmup_fraction * total_steps)
    if step < warmup:
        return (step + 1) / warmup
    if options.schedule == "constant":
        return 1.0
    progress = min((step - warmup) / max(total_steps - warmup, 1), 1.0)
    decay = 0.5 * (1.0 + math.cos(math.pi * progress)) if options.schedule == "cosine" else 1.0 - progress
    return options.min_lr_ratio + (1.0 - options.min_lr_ratio) * decay


def _batch_size(batch: dict[str, Any]) -> int:
    first = next((v for v in batch.values() if isinstance(v, torch.Tensor)), None)
    return int(first.shape[0]) if first is not None and first.ndim > 0 else 1
