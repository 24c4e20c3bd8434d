"""Plain progress lines for output that is not a terminal (a log file, a pipe, ``nohup``, a scheduler).

A progress bar redraws one line in place; written to a file it is unreadable, and Lightning's rich bar writes
nothing at all there. This callback prints one line at the first step, then every ``every_seconds``, then
at the end of training::

    step 55/850  epoch 1/10  loss 6.4637  12.30 steps/s  ETA 0:01:04

The engine uses it instead of the bar when ``sys.stdout`` is not a terminal.
"""

from __future__ import annotations

import datetime
import math
import sys
import time
from typing import TextIO

import torch
from lightning.pytorch.callbacks import Callback


class LogProgress(Callback):
    def __init__(self, every_seconds: float = 30.0, stream: TextIO | None = None) -> None:
        self.every_seconds = every_seconds
        self.stream = stream
        self._started = self._last_line = 0.0
        self._first_step = 0

    def on_train_start(self, trainer, pl_module) -> None:
        self._started = time.monotonic()
        self._last_line = -math.inf
        self._first_step = trainer.global_step  # a resumed run's rate counts only its own steps

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if time.monotonic() - self._last_line >= self.every_seconds:
            self._print(trainer)

    def on_train_end(self, trainer, pl_module) -> None:
        self._print(trainer)

    def _print(self, trainer) -> None:
        if not trainer.is_global_zero:  # one line per step for the whole job, not one per process
            return
        now = time.monotonic()
        self._last_line = now
        steps_done = trainer.global_step - self._first_step
        rate = steps_done / max(now - self._started, 1e-9)
        total = _total_steps(trainer)
        parts = [f"step {trainer.global_step}" + (f"/{total}" if total else "")]
        if trainer.max_epochs and trainer.max_epochs > 0:
            parts.append(f"epoch {min(trainer.current_epoch + 1, trainer.max_epochs)}/{trainer.max_epochs}")
        loss = trainer.callback_metrics.get("train/loss_step", trainer.callback_metrics.get("train/loss"))
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            parts.append(f"loss {loss.item():.4f}")
        parts.append(f"{rate:.2f} steps/s")
        if total and rate > 0:
            remaining = max(total - trainer.global_step, 0) / rate
            parts.append(f"ETA {datetime.timedelta(seconds=round(remaining))}")
        print("  ".join(parts), file=self.stream or sys.stdout, flush=True)


def _total_steps(trainer) -> int | None:
    """The step at which training stops: ``max_steps``, or ``max_epochs`` × steps per epoch (``None`` if unknown)."""
    total = trainer.estimated_stepping_batches
    return int(total) if math.isfinite(total) else None
