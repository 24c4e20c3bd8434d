"""The task model on its own: logits and losses per task, the frozen encoder, and an embed path without gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from multissl.errors import RecipeError
from multissl.finetuning.task_model import TARGET_KEY, TaskModel


class Encoder(nn.Module):
    def __init__(self, differentiable: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.differentiable = differentiable

    def embed(self, batch):
        with torch.set_grad_enabled(self.differentiable and torch.is_grad_enabled()):
            return self.linear(batch["x"])


def batch(target):
    return {"x": torch.randn(5, 4, generator=torch.Generator().manual_seed(0)), TARGET_KEY: target}


def test_classification_and_regression_losses():
    classify = TaskModel(Encoder(), 3, 2, "classification")
    target = torch.tensor([0, 1, 1, 0, 1])
    assert classify(batch(target)).shape == (5, 2)
    expected = nn.functional.cross_entropy(classify(batch(target)), target)
    torch.testing.assert_close(classify.loss(batch(target)), expected)
    regress = TaskModel(Encoder(), 3, 1, "regression")
    values = torch.linspace(-1, 1, 5)
    assert regress(batch(values)).shape == (5,)
    torch.testing.assert_close(regress.loss(batch(values)), nn.functional.mse_loss(regress(batch(values)), values))


def test_freeze_leaves_only_the_head_trainable():
    model = TaskModel(Encoder(), 3, 2, "classification", freeze=True)
    assert [name for name, p in model.named_parameters() if p.requires_grad] == ["head.weight", "head.bias"]


def test_an_embed_path_without_gradients_cannot_be_fine_tuned():
    model = TaskModel(Encoder(differentiable=False), 3, 2, "classification").train()
    with pytest.raises(RecipeError, match="freeze=True"):
        model(batch(torch.tensor([0, 1, 1, 0, 1])))
    frozen = TaskModel(Encoder(differentiable=False), 3, 2, "classification", freeze=True).train()
    assert frozen(batch(torch.tensor([0, 1, 1, 0, 1]))).shape == (5, 2)
