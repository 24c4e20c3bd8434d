"""Downstream MLP head on frozen features, its epoch chosen on a validation split (never the test split).

Hand-written rather than scikit-learn's ``MLPClassifier``: that one's early stopping draws its own
validation rows from the training split, while the T-JEPA protocol (and the comparison against
HistGradientBoosting here) needs one explicit train/validation/test split shared by every model.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn

from multissl.errors import InvalidDataError
from multissl.eval.probe_data import (
    as_embeddings,
    as_labels,
    check_not_constant,
    resolve_task,
)


@dataclasses.dataclass(frozen=True)
class MLPHeadOptions:
    """An MLP ``Linear -> ReLU -> Dropout`` x ``len(hidden)`` then ``Linear``, AdamW, early stopping on validation."""

    hidden: tuple[int, ...] = (256, 256)
    dropout: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 256
    max_epochs: int = 100
    patience: int = 10
    clip: float = 10.0
    token_width: int = 0
    """Width of each token when the input is tokens flattened (N, T · width); needed by ``token_projection``."""
    token_projection: int = 0
    """When > 0: each token first goes through its own ``Linear(token_width -> token_projection)`` (the T-JEPA
    paper's downstream uses 1 per token), a bottleneck before the MLP; 0: the MLP reads the flattened tokens."""


def fit_mlp_head(
    train_x: Any, train_y: Any, val_x: Any, val_y: Any, *, task: str = "auto", seed: int = 0,
    options: MLPHeadOptions = MLPHeadOptions(),
) -> MLPHead:
    """Train on ``train``; keep the weights of the epoch with the best validation score
    (accuracy for classification, RMSE for regression); stop after ``patience`` epochs without progress.
    Features are standardised with training statistics and clipped to ``±clip`` standard deviations, a
    regression target standardised too and its predictions clipped to the training range, so one extreme
    row (California has some) cannot give an arbitrary output. RMSE is reported in the target's units."""
    train_x, val_x = as_embeddings(train_x, "train_x"), as_embeddings(val_x, "val_x")
    train_y, val_y = as_labels(train_y, "train_y"), as_labels(val_y, "val_y")
    if len(train_x) != len(train_y) or len(val_x) != len(val_y) or train_x.shape[1] != val_x.shape[1]:
        raise InvalidDataError(
            f"fit_mlp_head got train {train_x.shape} / {len(train_y)} labels and validation {val_x.shape} / "
            f"{len(val_y)} labels; pass one label per row and the same features in both."
        )
    task = resolve_task(task, train_y)
    check_not_constant(train_y, task, "train_y")
    head = MLPHead(train_x, train_y, task, options, seed)
    generator = torch.Generator().manual_seed(seed)
    x, y = head.features(train_x), head.targets(train_y)
    optimizer = torch.optim.AdamW(head.network.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    loss_fn = nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()
    best, best_state, waited = -np.inf, copy.deepcopy(head.network.state_dict()), 0
    for _ in range(options.max_epochs):
        head.network.train()
        for rows in torch.randperm(len(x), generator=generator).split(options.batch_size):
            loss = loss_fn(head.network(x[rows]).squeeze(-1), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = head.validation_score(val_x, val_y)
        if score > best:
            best, best_state, waited = score, copy.deepcopy(head.network.state_dict()), 0
        else:
            waited += 1
            if waited >= options.patience:
                break
    head.network.load_state_dict(best_state)
    head.best_validation = best
    head.network.eval()
    return head


class MLPHead:
    """A trained head: ``predict(x)`` gives class labels or regression values; ``score(x, y)`` the metrics."""

    def __init__(self, train_x: np.ndarray, train_y: np.ndarray, task: str, options: MLPHeadOptions, seed: int):
        torch.manual_seed(seed)
        self.task = task
        self.clip = options.clip
        self.mean, self.std = train_x.mean(axis=0), train_x.std(axis=0) + 1e-8
        if task == "classification":
            self.classes = np.unique(train_y)
            outputs = len(self.classes)
        else:
            self.y_mean, self.y_std = float(train_y.mean()), float(train_y.std()) or 1.0
            self.y_range = (float(train_y.min()), float(train_y.max()))
            outputs = 1
        layers: list[nn.Module] = []
        width = train_x.shape[1]
        if options.token_projection > 0:
            if options.token_width <= 0 or width % options.token_width:
                raise InvalidDataError(
                    f"token_projection needs token_width, the width of each flattened token, dividing the "
                    f"{width} input features; got token_width={options.token_width}. Pass the encoder's dim."
                )
            layers.append(PerTokenLinear(width // options.token_width, options.token_width, options.token_projection))
            width = width // options.token_width * options.token_projection
        for hidden in options.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(options.dropout)]
            width = hidden
        self.network = nn.Sequential(*layers, nn.Linear(width, outputs))
        self.best_validation = -np.inf
        """The validation score of the kept weights (accuracy, or minus RMSE)."""

    def features(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.clip((x - self.mean) / self.std, -self.clip, self.clip).astype(np.float32))

    def targets(self, y: np.ndarray) -> torch.Tensor:
        if self.task == "classification":
            return torch.from_numpy(np.searchsorted(self.classes, y).astype(np.int64))
        return torch.from_numpy(((y.astype(np.float64) - self.y_mean) / self.y_std).astype(np.float32))

    @torch.no_grad()
    def predict(self, x: Any) -> np.ndarray:
        self.network.eval()
        out = self.network(self.features(as_embeddings(x, "x")))
        if self.task == "classification":
            return self.classes[out.argmax(dim=1).numpy()]
        return np.clip(out.squeeze(-1).double().numpy() * self.y_std + self.y_mean, *self.y_range)

    def score(self, x: Any, y: Any) -> dict[str, float]:
        """``accuracy`` (classification) or ``rmse`` (regression, in the target's units)."""
        predicted, y = self.predict(x), as_labels(y, "y")
        if self.task == "classification":
            return {"accuracy": float((predicted == y).mean())}
        return {"rmse": float(np.sqrt(np.mean((predicted - y.astype(np.float64)) ** 2)))}

    def validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        """Higher is better: accuracy, or minus RMSE."""
        metrics = self.score(x, y)
        return metrics["accuracy"] if self.task == "classification" else -metrics["rmse"]


class PerTokenLinear(nn.Module):
    """``y_t = x_t W_t + b_t`` for each of ``tokens`` tokens of a flattened ``(N, tokens · width)`` input, its own
    ``W_t`` (width x out) per token, output flattened ``(N, tokens · out)`` (T-JEPA's per-feature Linear, batched)."""

    def __init__(self, tokens: int, width: int, out: int):
        super().__init__()
        self.tokens, self.width = tokens, width
        self.weight = nn.Parameter(torch.empty(tokens, width, out))
        self.bias = nn.Parameter(torch.zeros(tokens, out))
        nn.init.uniform_(self.weight, -width**-0.5, width**-0.5)  # nn.Linear's default bound

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.view(len(x), self.tokens, self.width)
        return (torch.einsum("ntw,two->nto", tokens, self.weight) + self.bias).flatten(1)
