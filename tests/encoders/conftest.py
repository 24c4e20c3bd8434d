"""Shared fixtures for the encoder tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded_torch():
    """Deterministic weights and inputs in every encoder test."""
    torch.manual_seed(0)


@pytest.fixture
def assert_gradients_flow():
    """``assert_gradients_flow(module, output)``: every parameter gets a finite, non-zero gradient."""

    def check(module: torch.nn.Module, output: torch.Tensor) -> None:
        (output * torch.randn_like(output)).sum().backward()  # random weights: BatchNorm cancels a plain sum
        for name, parameter in module.named_parameters():
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
            assert parameter.grad.abs().sum() > 0, name

    return check
