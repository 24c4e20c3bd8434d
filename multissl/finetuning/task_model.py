"""The task model fine-tuning trains: the method's embedding path followed by a linear head.

``logits = W · method.embed(batch) + b`` (the rows of the batch's labelled samples, as its
:class:`~multissl.finetuning.samples.Samples` reads them); classification minimises cross-entropy, regression the mean squared
error of standardised targets. ``freeze=True`` trains the head only (a linear probe through the same engine),
with the encoder in eval mode (dropout off, normalisation statistics fixed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import nn
from torch.nn import functional as F

from multissl.errors import NonFiniteLossError, RecipeError

TARGET_KEY = "finetune_target"
"""Batch key of the labels the fine-tuning loader adds next to the modality's own keys."""


class TaskModel(L.LightningModule):
    """``encoder`` (a trained :class:`~multissl.methods.base.Method`; its ``embed`` path) + a linear head.
    ``embed_rows(encoder, batch)`` gives the embeddings of the batch's samples (default: ``encoder.embed(batch)``)."""

    def __init__(self, encoder: nn.Module, embedding_dim: int, n_outputs: int, task: str, *, lr: float = 1e-3,
                 weight_decay: float = 1e-4, freeze: bool = False,
                 embed_rows: Callable[[nn.Module, dict[str, Any]], torch.Tensor] | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.embed_rows = embed_rows or (lambda encoder, batch: encoder.embed(batch))
        self.head = nn.Linear(embedding_dim, n_outputs)
        self.task = task
        self.lr = lr
        self.weight_decay = weight_decay
        self.freeze = freeze
        self.encoder.requires_grad_(not freeze)

    def embed(self, batch: dict[str, Any]) -> torch.Tensor:
        """The encoder's (N, D) embeddings of the batch's samples (what ``Run.embed`` returns for them)."""
        return self.embed_rows(self.encoder, batch)

    def forward(self, batch: dict[str, Any]) -> torch.Tensor:
        """(N, classes) logits, or (N,) standardised regression outputs, of the batch's samples."""
        embeddings = self.embed(batch).float()
        if not self.freeze and self.training and not embeddings.requires_grad:
            raise RecipeError(
                f"The {type(self.encoder).__name__} method computes embeddings without gradients, so its encoder "
                "cannot be fine-tuned. Use freeze=True (a linear head on frozen embeddings)."
            )
        return self.outputs(embeddings)

    def outputs(self, embeddings: torch.Tensor) -> torch.Tensor:
        """The head on (N, D) embeddings: (N, classes) logits or (N,) values."""
        out = self.head(embeddings.float())
        return out if self.task == "classification" else out[:, 0]

    def loss(self, batch: dict[str, Any]) -> torch.Tensor:
        out = self(batch)
        target = batch[TARGET_KEY]
        return F.cross_entropy(out, target) if self.task == "classification" else F.mse_loss(out, target)

    def on_train_epoch_start(self) -> None:
        if self.freeze:
            self.encoder.eval()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch)
        if not torch.isfinite(loss.detach()):
            raise NonFiniteLossError(f"The fine-tuning loss became {loss.item()} at epoch {self.current_epoch}.")
        self.log("train/loss", loss.detach(), on_step=False, on_epoch=True, prog_bar=True, batch_size=len(batch[TARGET_KEY]))
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.log("val/loss", self.loss(batch), on_epoch=True, prog_bar=True, batch_size=len(batch[TARGET_KEY]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        parameters = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.AdamW(parameters, lr=self.lr, weight_decay=self.weight_decay)
