"""SIGTERM, SIGINT and SIGUSR1 during training: a checkpoint of the position, then an error (Python) or exit
status 128 + signal (CLI) that says how to resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from lightning.pytorch.callbacks import Callback

import multissl
from multissl.errors import TrainingInterrupted

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402


class SignalAt(Callback):
    """Sends ``signum`` to this process at the end of batch ``batch_idx`` of the first epoch."""

    def __init__(self, batch_idx: int, signum: int) -> None:
        self.batch_idx, self.signum = batch_idx, signum

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.current_epoch == 0 and batch_idx == self.batch_idx:
            os.kill(os.getpid(), self.signum)


def saved_progress(out: Path) -> tuple[int, int]:
    """``(global_step, batches of the epoch taken)`` of ``out``'s last checkpoint."""
    checkpoint = torch.load(out / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    return checkpoint["global_step"], checkpoint["loops"]["fit_loop"]["epoch_loop.batch_progress"]["current"]["ready"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1])
def test_a_signal_saves_the_next_step_and_raises_training_interrupted(tmp_path, signum):
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)}
    with pytest.raises(TrainingInterrupted, match="resume with resume: last") as caught:
        multissl.pretrain(
            "vectors", tiny.data(rows=128), method="simclr", max_epochs=2, batch_size=16, output_dir=tmp_path / "run",
            callbacks=[SignalAt(2, signum)], **tiny.OVERRIDES,
        )
    assert caught.value.signal_number == signum
    assert signal.Signals(signum).name in str(caught.value)
    assert saved_progress(tmp_path / "run") == (4, 4), "the step in progress when the signal came is finished and saved"
    assert {s: signal.getsignal(s) for s in handlers} == handlers, "the process's own handlers are back"


def test_a_signal_inside_gradient_accumulation_waits_for_the_optimizer_step(tmp_path):
    with pytest.raises(TrainingInterrupted):
        multissl.pretrain(
            "vectors", tiny.data(rows=128), method="simclr", max_epochs=2, batch_size=16, output_dir=tmp_path / "run",
            callbacks=[SignalAt(1, signal.SIGTERM)], **{**tiny.OVERRIDES, "trainer.accumulate_grad_batches": 2},
        )
    # batch 2 starts a new accumulation: the checkpoint comes after batch 3, with step 2 taken, no gradients pending
    assert saved_progress(tmp_path / "run") == (2, 4)


def test_without_output_dir_the_error_says_nothing_was_kept():
    with pytest.raises(TrainingInterrupted, match="nothing was kept: set output_dir"):
        multissl.pretrain(
            "vectors", tiny.data(rows=64), method="simclr", max_epochs=2, batch_size=16,
            callbacks=[SignalAt(0, signal.SIGTERM)], **tiny.OVERRIDES,
        )


def write_recipe(tmp_path: Path, epochs: int) -> Path:
    np.save(tmp_path / "vectors.npy", tiny.data(rows=256))
    recipe = {
        "modality": "vectors", "data": {"source": str(tmp_path / "vectors.npy")},
        "method": {"name": "simclr", "encoder_options": {"hidden_dims": [16], "output_dim": 8}, "projector_dims": [8]},
        "trainer": {"max_epochs": epochs}, "loader": {"batch_size": 16}, "output_dir": str(tmp_path / "run"),
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_the_cli_exits_143_on_sigterm_says_how_to_resume_and_resume_finishes(tmp_path):
    recipe = write_recipe(tmp_path, epochs=200)
    process = subprocess.Popen(
        [sys.executable, "-m", "multissl", "pretrain", str(recipe)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    first_line = process.stdout.readline()  # a progress line comes at the first step (stdout is a pipe)
    assert first_line.startswith("step "), first_line
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert f"Training interrupted by SIGTERM; resume with resume: last (CLI: --set resume=last output_dir={tmp_path / 'run'})" in stderr
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()
    resumed = subprocess.run(
        [sys.executable, "-m", "multissl", "pretrain", str(recipe), "--set", "resume=last", "trainer.max_epochs=1"],
        capture_output=True, text=True, timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (tmp_path / "run" / "run.json").is_file()
