"""The engine's collapse monitor: known answers of the signal, a warning for a collapsed encoder and none for a
healthy one, and the signal in the training metrics of every run."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback

import multissl
from multissl.engine.collapse_monitor import collapse_signal, is_collapsed

MONITOR_LOG = "multissl.engine.collapse_monitor"
QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


class ConstantEncoder(Callback):
    """After every step, zero every weight and set every bias to 0.5: every row embeds to the same vector."""

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        with torch.no_grad():
            for name, parameter in pl_module.named_parameters():
                parameter.fill_(0.5 if name.endswith("bias") else 0.0)


def test_signal_known_answers():
    constant = torch.full((64, 8), 3.0)
    assert collapse_signal(constant)["std"] == 0.0 and collapse_signal(constant)["relative_std"] == 0.0
    assert abs(collapse_signal(constant)["rankme"] - 1.0) < 1e-4
    spread = torch.from_numpy(np.random.default_rng(0).normal(size=(512, 8)))
    signal = collapse_signal(spread)
    assert abs(signal["std"] - 1.0) < 0.05 and abs(signal["relative_std"] - 1.0) < 0.05 and signal["rankme"] > 7.5
    assert collapse_signal(spread * 1000)["rankme"] == pytest.approx(signal["rankme"], rel=1e-9)  # RankMe is scale-free
    line = torch.outer(torch.linspace(-1, 1, 512), torch.ones(8))  # spread along one direction only
    assert not is_collapsed(signal, 8) and is_collapsed(collapse_signal(constant), 8) and is_collapsed(collapse_signal(line), 8)


def test_a_collapsed_encoder_is_warned_about_every_epoch_and_a_healthy_one_is_not(caplog):
    with caplog.at_level(logging.WARNING, logger=MONITOR_LOG):
        healthy = multissl.pretrain("vectors", "wine", method="vicreg", max_epochs=2, batch_size=32, **QUIET)
    assert not [r for r in caplog.records if r.name == MONITOR_LOG]
    train = healthy.metrics["train"]
    assert train["collapse/relative_std"] > 0.1 and train["collapse/rankme"] > 2 and train["collapse/std"] > 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=MONITOR_LOG):
        collapsed = multissl.pretrain("vectors", "wine", method="vicreg", max_epochs=2, batch_size=32,
                                      callbacks=[ConstantEncoder()], **QUIET)
    warnings = [r.getMessage() for r in caplog.records if r.name == MONITOR_LOG]
    assert len(warnings) == 2 and all("look collapsed" in w for w in warnings)
    assert collapsed.metrics["train"]["collapse/relative_std"] == 0.0
