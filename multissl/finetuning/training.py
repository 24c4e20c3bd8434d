"""Training a :class:`~multissl.finetuning.task_model.TaskModel` with the run's Lightning engine, and predicting.

The trainer comes from :func:`multissl.engine.trainer.build_trainer` (the run's devices, precision, logging and
checkpoints), with early stopping on the validation loss and the best epoch's weights restored at the end.
"""

from __future__ import annotations

import dataclasses
import tempfile
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import EarlyStopping

from multissl.engine.trainer import build_trainer
from multissl.errors import InvalidDataError, RecipeError
from multissl.finetuning.samples import Samples
from multissl.finetuning.task_model import TaskModel


@dataclasses.dataclass
class FinetuneSettings:
    """How the task model is trained (see :func:`multissl.finetuning.finetune`)."""

    task: str = "classification"
    lr: float = 1e-3
    epochs: int = 50
    batch_size: int = 64
    freeze: bool = False
    from_scratch: bool = False
    val_fraction: float = 0.2
    patience: int = 5
    seed: int = 0
    progress_bar: bool = False

    def check(self) -> None:
        if self.task not in ("classification", "regression"):
            raise RecipeError(f"task must be 'classification' or 'regression', got {self.task!r}.")
        if not self.lr > 0:
            raise RecipeError(f"lr must be positive, got {self.lr}.")
        if self.epochs < 1 or self.batch_size < 2 or self.patience < 1:
            raise RecipeError(
                f"epochs and patience must be at least 1 and batch_size at least 2 (got {self.epochs}, {self.patience}, "
                f"{self.batch_size})."
            )
        if not 0.0 < self.val_fraction < 1.0:
            raise RecipeError(f"val_fraction must lie strictly between 0 and 1 (early stopping needs it), got {self.val_fraction}.")
        if self.freeze and self.from_scratch:
            raise RecipeError("freeze=True with from_scratch=True trains a head on a random encoder; choose one.")


def split_train_validation(targets: torch.Tensor, indices: np.ndarray, settings: FinetuneSettings) -> tuple[np.ndarray, np.ndarray]:
    """A seeded split of the labelled ``indices`` (stratified by class where every class has two samples)."""
    from sklearn.model_selection import train_test_split

    labels = targets[torch.as_tensor(indices)].numpy()
    stratify = None
    if settings.task == "classification" and np.unique(labels, return_counts=True)[1].min() >= 2:
        stratify = labels
    n_val = max(1, int(round(len(indices) * settings.val_fraction)))
    if len(indices) - n_val < 2 or n_val < 1:
        raise InvalidDataError(f"{len(indices)} labelled samples are too few to hold out a validation split; label more.")
    if stratify is not None and n_val < len(np.unique(labels)):
        stratify = None
    train, val = train_test_split(indices, test_size=n_val, random_state=settings.seed, stratify=stratify)
    return np.sort(train), np.sort(val)


def train_task_model(run, samples: Samples, targets: torch.Tensor, train_idx: np.ndarray, val_idx: np.ndarray,
                     n_outputs: int, settings: FinetuneSettings, work_dir: Path | None = None) -> tuple[TaskModel, dict[str, Any]]:
    """Train the run's encoder (re-initialised when ``from_scratch``; frozen when ``freeze``) and a linear head on
    the samples ``train_idx``, stopping early on the loss of the samples ``val_idx``; the best epoch is restored."""
    from multissl.plugins import registry

    L.seed_everything(settings.seed, workers=True, verbose=False)
    recipe = run.recipe
    encoder = registry().get("method", recipe.method)(recipe.method_options, run.method.input_spec, recipe.optimizer, settings.seed)
    if not settings.from_scratch:
        encoder.load_state_dict(run.method.state_dict())
    train_loader = samples.loader(train_idx, targets, batch_size=settings.batch_size, shuffle=True, seed=settings.seed)
    val_loader = samples.loader(val_idx, targets, batch_size=settings.batch_size, shuffle=False, seed=settings.seed)
    model = TaskModel(encoder, _embedding_dim(encoder, samples, val_loader), n_outputs, settings.task, lr=settings.lr,
                      weight_decay=recipe.optimizer.weight_decay, freeze=settings.freeze, embed_rows=samples.embed)
    trainer_options = dataclasses.replace(
        recipe.trainer, max_epochs=settings.epochs, max_steps=-1, max_time=None, limit_train_batches=1.0,
        check_val_every_n_epoch=1, enable_progress_bar=settings.progress_bar, loggers=["csv"],
        checkpoint_every_minutes=None, checkpoint_every_n_steps=None, strategy="auto", devices=1, num_nodes=1,
    )
    scratch = None if work_dir is not None else tempfile.TemporaryDirectory(prefix="multissl-finetune-")
    work_dir = Path(work_dir or scratch.name)
    try:
        trainer = build_trainer(
            dataclasses.replace(recipe, trainer=trainer_options), work_dir, has_validation=True,
            callbacks=[EarlyStopping(monitor="val/loss", mode="min", patience=settings.patience)],
            batches_per_epoch=len(train_loader),
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*does not have many workers.*")
            trainer.fit(model, train_loader, val_loader)
        best = torch.load(work_dir / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)
        model.load_state_dict(best["state_dict"])
        metrics = {"epochs": trainer.current_epoch, "best_epoch": best["epoch"] + 1,
                   "val_loss": float(trainer.checkpoint_callback.best_model_score)}
    finally:
        if scratch is not None:
            scratch.cleanup()
    return model.cpu().eval(), metrics


def _embedding_dim(encoder, samples: Samples, loader) -> int:
    batch = next(iter(loader))
    was_training = encoder.training
    encoder.eval()
    with torch.no_grad():
        dim = int(samples.embed(encoder, batch).shape[-1])
    encoder.train(was_training)
    return dim


def predict_outputs(model: TaskModel, samples: Samples, indices: np.ndarray | None = None, batch_size: int = 1024) -> np.ndarray:
    """The head's raw outputs for the samples ``indices`` (sorted; default: all), in order: (N, classes) logits or
    (N,) values."""
    model.eval()
    with torch.inference_mode():
        loader = samples.loader(indices, None, batch_size=batch_size, shuffle=False, seed=0)
        return torch.cat([model.outputs(samples.embed(model.encoder, batch)) for batch in loader]).numpy()


def decode(outputs: np.ndarray, task: str, decoding: dict[str, Any]) -> np.ndarray:
    """Labels from head outputs: the most probable class, or the de-standardised value."""
    if task == "classification":
        return np.asarray(decoding["classes"])[outputs.argmax(axis=1)]
    return outputs * decoding["std"] + decoding["mean"]
