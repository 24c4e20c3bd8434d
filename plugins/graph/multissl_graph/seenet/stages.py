"""SEENet's two stages (Li et al., KDD 2023; the references' ``train_ssl.py`` / ``train_trial.py``) as a
Lightning callback, so the method holds no training loop:

1. **pretrain** (the method's ``stage == "pretrain"``): after each epoch, the epoch's loss is compared with
   the lowest so far; after ``pretrain_patience`` epochs without a lower one (or ``pretrain_epochs``), the
   weights of the lowest loss are restored, the optimizer's state is cleared (the reference starts a fresh
   Adam) and the method moves to ``stage = "train"``.
2. **train**: every ``evaluate_every`` epochs (and at the last) the filtered validation ranking of the
   training graph's ``valid`` triples is measured and logged (``val/mrr@10``, ``val/hits@10``); the weights
   of the best MRR@10 are kept and restored when training ends, after ``train_epochs`` epochs.

Its progress, the best weights and the validation history are saved in checkpoints, so a resumed run
continues the stage it was in.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback


class SEENetStages(Callback):
    """Early stopping of SE-SSL pretraining on its loss, then of the relation model on validation MRR@10."""

    def __init__(self, pretrain_epochs: int, pretrain_patience: int, train_epochs: int, evaluate_every: int) -> None:
        self.pretrain_epochs, self.pretrain_patience = pretrain_epochs, pretrain_patience
        self.train_epochs, self.evaluate_every = train_epochs, evaluate_every
        self.progress = {"pretrain_epochs": 0, "train_epochs": 0, "wait": 0, "best_loss": float("inf"), "best_mrr": -1.0}
        self.validation_history: list[dict[str, float]] = []
        self.best_state: dict[str, torch.Tensor] | None = None
        self._graph: dict[str, torch.Tensor] | None = None
        self._last_loss = float("inf")

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        self._graph = batch  # one batch is the whole graph, valid triples included
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self._last_loss = float(loss.detach())

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module) -> None:
        progress = self.progress
        if pl_module.stage == "pretrain":
            progress["pretrain_epochs"] += 1
            if self._last_loss < progress["best_loss"]:
                progress["best_loss"], progress["wait"] = self._last_loss, 0
                self.best_state = _copy_state(pl_module)
            else:
                progress["wait"] += 1
            if progress["wait"] >= self.pretrain_patience or progress["pretrain_epochs"] >= self.pretrain_epochs:
                pl_module.load_state_dict(self.best_state)
                self.best_state = None
                for optimizer in trainer.optimizers:
                    optimizer.state.clear()  # the train stage starts a fresh Adam, as the reference
                pl_module.stage = "train"
            return
        progress["train_epochs"] += 1
        done = progress["train_epochs"] >= self.train_epochs
        if (progress["train_epochs"] % self.evaluate_every == 0 or done) and self._graph is not None:
            metrics = pl_module.rank(self._graph, "valid")
            self.validation_history.append({"epoch": progress["train_epochs"], **metrics})
            pl_module.log_dict({f"val/{k}": v for k, v in metrics.items() if "/" not in k and not k.startswith("n_")})
            if metrics["mrr@10"] > progress["best_mrr"]:
                progress["best_mrr"] = metrics["mrr@10"]
                self.best_state = _copy_state(pl_module)
        if done:
            trainer.should_stop = True

    def on_train_end(self, trainer: L.Trainer, pl_module) -> None:
        if pl_module.stage == "train" and self.best_state is not None:
            pl_module.load_state_dict(self.best_state)  # the weights of the best validation MRR@10
        self._graph = None

    def state_dict(self) -> dict[str, Any]:
        return {"progress": dict(self.progress), "best_state": self.best_state, "validation_history": list(self.validation_history)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.progress = dict(state_dict["progress"])
        self.best_state = state_dict["best_state"]
        self.validation_history = list(state_dict["validation_history"])


def _copy_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}
