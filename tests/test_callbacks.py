"""User callbacks: ``multissl.pretrain(callbacks=[...])`` adds Lightning callbacks that see every step's terms."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch.callbacks import Callback

import multissl
from multissl.errors import RecipeError

QUIET = {"trainer.enable_progress_bar": False}


class StepRecorder(Callback):
    """Keeps what ``on_train_batch_end`` receives for each step."""

    def __init__(self) -> None:
        self.outputs = []

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.outputs.append(outputs)


class StopAfter(Callback):
    """Stops training once ``steps`` optimizer steps are done."""

    def __init__(self, steps: int) -> None:
        self.steps = steps

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        trainer.should_stop = trainer.global_step >= self.steps


def test_a_callback_sees_every_step_with_its_loss_and_detached_terms():
    recorder = StepRecorder()
    run = multissl.pretrain("vectors", "wine", method="vicreg", max_epochs=2, batch_size=32, callbacks=[recorder], **QUIET)
    assert len(recorder.outputs) == run.metrics["train"]["steps"] > 0
    for step in recorder.outputs:
        assert torch.isfinite(step["loss"]) and step["loss"].ndim == 0
        assert {"ssl/invariance", "ssl/variance", "ssl/covariance"} <= set(step["logs"])
        assert not any(value.requires_grad for value in step["logs"].values())
    assert "callbacks" not in run.recipe.to_dict()


def test_a_callback_can_stop_training_and_a_single_callback_needs_no_list():
    run = multissl.pretrain("vectors", "wine", method="simclr", max_epochs=50, batch_size=16, callbacks=StopAfter(3), **QUIET)
    assert run.metrics["train"]["steps"] == 3


@pytest.mark.parametrize("callbacks, named", [([StopAfter(1), print], r"callbacks\[1\] is a builtin_function_or_method"),
                                              ("progress", "got str")])
def test_anything_but_lightning_callbacks_is_refused_before_the_data_is_read(callbacks, named):
    with pytest.raises(RecipeError, match=named):
        multissl.pretrain("vectors", "/no/such/file.csv", method="simclr", callbacks=callbacks, **QUIET)


def test_callbacks_reach_every_process_under_ddp_spawn():
    run = multissl.pretrain("vectors", "wine", method="simclr", max_epochs=50, batch_size=16, callbacks=[StopAfter(2)],
                            **{"trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu"}, **QUIET)
    assert run.metrics["train"]["steps"] == 2
