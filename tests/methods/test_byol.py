"""BYOL: the target is an EMA of the online encoder and projector, moved after each step, never by gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import multissl
from multissl.methods.byol import BYOL, BYOLConfig


def _method() -> BYOL:
    torch.manual_seed(0)
    config = BYOLConfig(encoder_options={"hidden_dims": [16], "output_dim": 8}, projector_dims=[16, 8], predictor_dims=[16])
    return BYOL(config, {"input_dim": 6})


def test_one_loss_gives_gradients_to_the_online_network_only():
    method = _method().train()
    loss, logs = method.ssl_loss({"x": torch.randn(32, 6)})
    assert 0.0 <= loss.item() <= 8.0 and set(logs) == {"loss", "cosine"}
    loss.backward()
    assert all(p.grad is not None for p in [*method.encoder.parameters(), *method.predictor.parameters()])
    assert all(p.grad is None and not p.requires_grad for p in method.target_encoder.parameters())
    assert all(p.grad is None for p in method.target_projector.parameters())


def test_training_moves_the_target_by_the_cosine_momentum_and_embeds_with_the_online_encoder(tmp_path):
    rows = np.random.default_rng(0).normal(size=(96, 6)).astype(np.float32)
    run = multissl.pretrain(
        "vectors", rows, method="byol", max_epochs=2, batch_size=32,
        **{"method.encoder_options": {"hidden_dims": [16], "output_dim": 8}, "method.projector_dims": [16, 8],
           "trainer.enable_progress_bar": False},
    )
    method = run.method
    online = dict(method.encoder.named_parameters())
    target = dict(method.target_encoder.teacher.named_parameters())
    assert any(not torch.equal(online[name], target[name]) for name in online)  # a moving average, not a copy
    assert run.metrics["train"]["train/ema_momentum"] == pytest.approx(0.9999, abs=1e-3)  # cosine towards 1
    x = torch.from_numpy((rows - rows.mean(0)) / rows.std(0))
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(run.embed(rows)), method.encoder.eval()(x), atol=1e-5, rtol=1e-5)
