"""Downstream evaluation on frozen features: the shared speech tasks and the probes run on them.

Tasks (``../shared/datasets/speech``): FSDD digit recognition and FSDD speaker identification on FSDD's
official split (recording index 0-4 test, 5-49 train), and LibriSpeech test-other speaker identification
(10 speakers x 10 utterances; per speaker the utterances sorted by name alternate between train and test).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from multissl.errors import InvalidDataError
from multissl.eval.linear_probe import linear_probe


@dataclasses.dataclass
class Task:
    """A labelled split: file paths and labels for train and test."""

    name: str
    train_paths: list[str]
    train_labels: np.ndarray
    test_paths: list[str]
    test_labels: np.ndarray


def fsdd_tasks(root: str | Path) -> list[Task]:
    """FSDD digit recognition and speaker identification (``{digit}_{speaker}_{index}.wav``; index < 5 is test)."""
    files = sorted(Path(root).glob("*.wav"))
    if not files:
        raise InvalidDataError(f"No FSDD recordings ({{digit}}_{{speaker}}_{{index}}.wav) in {root}.")
    parts = [f.stem.split("_") for f in files]
    test = np.array([int(p[2]) < 5 for p in parts])
    paths = np.array([str(f) for f in files])
    tasks = []
    for name, column in (("fsdd_digit", 0), ("fsdd_speaker", 1)):
        labels = np.array([p[column] for p in parts])
        tasks.append(Task(name, list(paths[~test]), labels[~test], list(paths[test]), labels[test]))
    return tasks


def librispeech_speaker_task(root: str | Path) -> Task:
    """Speaker identification on LibriSpeech test-other: ``{speaker}-{chapter}-{utt}.flac``, alternate utterances."""
    files = sorted(Path(root).rglob("*.flac"))
    if not files:
        raise InvalidDataError(f"No LibriSpeech FLAC files under {root}.")
    speakers = np.array([f.name.split("-")[0] for f in files])
    rank = np.zeros(len(files), dtype=int)
    for speaker in np.unique(speakers):
        rank[speakers == speaker] = np.arange((speakers == speaker).sum())
    test = rank % 2 == 1
    paths = np.array([str(f) for f in files])
    return Task("librispeech_speaker", list(paths[~test]), speakers[~test], list(paths[test]), speakers[test])


def layer_embeddings(method: Any, modality: Any, raw: Any, batch_size: int = 32) -> np.ndarray:
    """``(N, L + 1, D)`` frozen, mean-pooled hidden states of every layer (``method.layer_embeddings``)."""
    loader = modality.dataloader(modality.dataset(raw), batch_size=batch_size, shuffle=False, drop_last=False,
                                 num_workers=0, seed=0)
    method.eval()
    chunks = []
    with torch.inference_mode():
        for batch in tqdm(loader, desc="embedding", unit="batch", disable=len(loader) < 20):
            chunks.append(method.layer_embeddings(batch).float())
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


def probe_last_layer(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, seed: int = 0) -> float:
    """Accuracy of the core linear probe (standardised logistic regression, C by cross-validation)."""
    return linear_probe(train_x, train_y, test_x, test_y, task="classification", seed=seed)["accuracy"]
