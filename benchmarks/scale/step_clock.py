"""A Lightning callback timing a training run's phases, shared by the scale benchmarks."""

from __future__ import annotations

import time

from lightning.pytorch.callbacks import Callback


class StepClock(Callback):
    """``started`` when training starts (data read and fitted), ``second`` when the second step starts (the first
    includes one-off setup), ``ended`` when training ends; :meth:`steps_per_second` over the steps after the first."""

    def on_train_start(self, trainer, pl_module) -> None:
        self.started = time.perf_counter()

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx == 1:
            self.second = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        self.ended = time.perf_counter()

    def steps_per_second(self, steps: int) -> float:
        return (steps - 1) / (self.ended - self.second)
