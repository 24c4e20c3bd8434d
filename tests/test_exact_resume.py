"""A run killed inside an epoch (SIGKILL after a mid-epoch checkpoint, or SIGTERM) and resumed with
``resume: last`` ends with exactly the weights of the run that was never interrupted (CPU, bit for bit)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

CHILD = Path(__file__).parent / "interrupt_child.py"


def child(out: Path, step: int, signal_name: str, method: str = "simclr") -> subprocess.CompletedProcess:
    command = [sys.executable, str(CHILD), str(out), str(step), signal_name, method]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def checkpoint_step(path: Path) -> int:
    return torch.load(path, map_location="cpu", weights_only=True, mmap=True)["global_step"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict[str, torch.Tensor]:
    out = tmp_path_factory.mktemp("uninterrupted") / "run"
    result = child(out, -1, "none")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((out / "metrics.json").read_text())["train"]["epochs"] == 3
    return load_file(out / "weights.safetensors")


def assert_same_weights(expected: dict[str, torch.Tensor], out: Path) -> None:
    resumed = load_file(out / "weights.safetensors")
    assert resumed.keys() == expected.keys()
    different = [name for name in expected if not torch.equal(expected[name], resumed[name])]
    assert not different, f"weights differ after resuming: {different}"


def test_sigkill_after_a_mid_epoch_checkpoint_then_resume_gives_the_same_weights(tmp_path, uninterrupted):
    out = tmp_path / "run"
    killed = child(out, 10, "SIGKILL")  # epoch 1 (steps 7..12); the last checkpoint is step 8's (every 4 steps)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert checkpoint_step(out / "checkpoints" / "last.ckpt") == 8
    assert sorted(p.name for p in (out / "checkpoints").glob("step=*.ckpt")) == ["step=4.ckpt", "step=8.ckpt"]
    resumed = child(out, -1, "none")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_same_weights(uninterrupted, out)


def test_sigterm_checkpoints_the_exact_step_exits_non_zero_and_resume_gives_the_same_weights(tmp_path, uninterrupted):
    out = tmp_path / "run"
    stopped = child(out, 9, "SIGTERM")  # mid-epoch, between the checkpoints of steps 8 and 12
    assert stopped.returncode == 1, stopped.stderr[-2000:]
    assert "TrainingInterrupted" in stopped.stderr and "resume with resume: last" in stopped.stderr
    # the signal arrives after the engine's check of step 9: step 10, the one in progress, is finished and saved
    assert checkpoint_step(out / "checkpoints" / "last.ckpt") == 10
    assert not (out / "run.json").exists(), "an interrupted run is not saved as a finished one"
    resumed = child(out, -1, "none")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_same_weights(uninterrupted, out)


def test_an_ema_target_updated_in_the_checkpointed_step_resumes_exactly(tmp_path):
    """BYOL's target moves after each optimiser step; a checkpoint taken at that step's end must hold the move."""
    whole, out = tmp_path / "whole", tmp_path / "run"
    assert child(whole, -1, "none", "byol").returncode == 0
    killed = child(out, 10, "SIGKILL", "byol")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    resumed = child(out, -1, "none", "byol")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_same_weights(load_file(whole / "weights.safetensors"), out)
