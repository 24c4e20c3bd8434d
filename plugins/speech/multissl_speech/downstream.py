"""Downstream evaluation on frozen features: every layer's pooled hidden states and the weighted-layer probe
the ``speech_probe`` evaluator runs on them."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from multissl.errors import InvalidDataError


def layer_embeddings(method: Any, modality: Any, raw: Any, batch_size: int = 32) -> np.ndarray:
    """``(N, L + 1, D)`` frozen, mean-pooled hidden states of every layer (``method.layer_embeddings``), or
    ``(N, 1, D)`` the embedding alone for a method without layers (the core's generic methods)."""
    per_batch = getattr(method, "layer_embeddings", None) or (lambda batch: method.embed(batch)[:, None])
    loader = modality.dataloader(modality.dataset(raw), batch_size=batch_size, shuffle=False, drop_last=False,
                                 num_workers=0, seed=0)
    method.eval()
    device = next(method.parameters(), torch.empty(0)).device
    chunks = []
    with torch.inference_mode():
        for batch in tqdm(loader, desc="embedding", unit="batch", disable=len(loader) < 20):
            batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}
            chunks.append(per_batch(batch).float().cpu())
    return torch.cat(chunks).numpy()


class WeightedLayerProbe(nn.Module):
    """SUPERB-style probe: ``y = W (Σ_l softmax(a)_l · norm(h_l)) + b`` over per-layer pooled features ``h_l``
    (each standardised with the training mean and deviation), trained jointly by cross-entropy."""

    def __init__(self, n_layers: int, dim: int, n_classes: int) -> None:
        super().__init__()
        self.layer_logits = nn.Parameter(torch.zeros(n_layers))
        self.linear = nn.Linear(dim, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.layer_logits, dim=0)
        return self.linear((x * weights[:, None]).sum(dim=1))


def weighted_layer_probe(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, *,
                         weight_decay: float = 1e-3, steps: int = 500, lr: float = 1e-2, seed: int = 0) -> dict[str, Any]:
    """Accuracy of a :class:`WeightedLayerProbe` trained full-batch with AdamW on ``(N, L + 1, D)`` features;
    also returns the learned layer weights."""
    if train_x.ndim != 3 or test_x.shape[1:] != train_x.shape[1:]:
        raise InvalidDataError(f"weighted_layer_probe expects (N, L, D) features, got {train_x.shape} and {test_x.shape}.")
    classes, train_codes = np.unique(train_y, return_inverse=True)
    lookup = {c: i for i, c in enumerate(classes)}
    mean, std = train_x.mean(0, keepdims=True), train_x.std(0, keepdims=True) + 1e-6
    torch.manual_seed(seed)
    probe = WeightedLayerProbe(train_x.shape[1], train_x.shape[2], len(classes))
    optimizer = torch.optim.AdamW(probe.parameters(), lr=lr, weight_decay=weight_decay)
    x = torch.from_numpy(((train_x - mean) / std).astype(np.float32))
    y = torch.from_numpy(train_codes)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.cross_entropy(probe(x), y).backward()
        optimizer.step()
    with torch.no_grad():
        predicted = probe(torch.from_numpy(((test_x - mean) / std).astype(np.float32))).argmax(1).numpy()
    truth = np.array([lookup.get(label, -1) for label in test_y])
    return {"accuracy": float((predicted == truth).mean()),
            "layer_weights": torch.softmax(probe.layer_logits, 0).tolist()}
