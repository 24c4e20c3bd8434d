"""Activity classifier over sensor windows: an encoder (frozen, fine-tuned or from scratch) and an MLP head."""

from __future__ import annotations

import copy

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from multissl.errors import InvalidDataError, RecipeError

MODES = ("frozen", "fine_tune", "scratch")
"""``frozen``: the pretrained encoder is fixed, only the head learns (on its cached embeddings);
``fine_tune``: encoder and head learn from the pretrained weights; ``scratch``: the same, from a fresh encoder."""


class WindowClassifier(L.LightningModule):
    """``softmax(W₂ ReLU(W₁ f(x)))`` trained with cross-entropy, ``f`` the encoder's pooled embedding (or the
    identity on cached embeddings); the head is ColloSSL's evaluation head (Dense(1024) + softmax, Jain et al.
    2022). AdamW at a constant ``lr``."""

    def __init__(self, encoder: nn.Module | None, input_dim: int, classes: int, hidden: int = 1024,
                 lr: float = 1e-3, weight_decay: float = 1e-4):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Sequential(nn.Linear(input_dim, hidden), nn.ReLU(), nn.Linear(hidden, classes))
        self.lr, self.weight_decay = lr, weight_decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder.embed(x) if self.encoder is not None else x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train/loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(y))
        return loss

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)


def embed_windows(encoder: nn.Module, windows: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Pooled embeddings of ``windows`` (N, T, C) by ``encoder`` in eval mode, without gradients."""
    encoder.eval()
    with torch.inference_mode():
        return torch.cat([encoder.embed(chunk) for chunk in windows.split(batch_size)])


def train_and_predict(mode: str, encoder: nn.Module, train_x: torch.Tensor, train_y: np.ndarray,
                      test_x: torch.Tensor, *, classes: int, steps: int, batch_size: int = 64, lr: float = 1e-3,
                      seed: int = 0, hidden: int = 1024, progress: bool = False) -> np.ndarray:
    """Train a :class:`WindowClassifier` in ``mode`` (see :data:`MODES`) on windows ``train_x`` (N, T, C) with
    class indices ``train_y`` for ``steps`` optimisation steps (the same budget whatever the number of labels);
    return the predicted class indices of ``test_x``. ``encoder`` is copied, never changed; for ``scratch`` it
    must be a freshly initialised encoder."""
    if mode not in MODES:
        raise RecipeError(f"Classifier mode must be one of {MODES}, got {mode!r}.")
    if len(train_x) != len(train_y) or len(train_x) == 0:
        raise InvalidDataError(f"Got {len(train_x)} training windows and {len(train_y)} labels; need as many, and some.")
    L.seed_everything(seed, workers=True, verbose=False)
    encoder = copy.deepcopy(encoder)
    if mode == "frozen":
        train_x, test_x = embed_windows(encoder, train_x), embed_windows(encoder, test_x)
        encoder = None
    width = encoder.output_dim if encoder is not None else train_x.shape[1]
    model = WindowClassifier(encoder, width, classes, hidden=hidden, lr=lr)
    labels = torch.as_tensor(train_y, dtype=torch.long)
    loader = DataLoader(TensorDataset(train_x, labels), batch_size=min(batch_size, len(labels)), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    trainer = L.Trainer(max_steps=steps, max_epochs=-1, logger=False, enable_checkpointing=False,
                        enable_model_summary=False, enable_progress_bar=progress, log_every_n_steps=1)
    model.train()  # a pretrained encoder arrives in eval mode, which Lightning would keep (no dropout)
    trainer.fit(model, loader)
    model.cpu().eval()
    with torch.inference_mode():
        return torch.cat([model(chunk).argmax(1) for chunk in test_x.split(1024)]).numpy()
