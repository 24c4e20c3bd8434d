"""SIGTERM, SIGINT and SIGUSR1 during training: checkpoint the exact position, then stop with an error.

A scheduler preempting a job (SIGTERM; SLURM's ``--signal=SIGUSR1@SECONDS``) or a user pressing Ctrl-C
(SIGINT) must neither lose the work done nor look like success. The handler only records the signal; at the
end of the current optimisation step (not inside one, and not in the middle of gradient accumulation) the
callback writes ``checkpoints/last.ckpt`` atomically, with the loop's position, the data loader's position
and every random state, and raises :class:`~multissl.errors.TrainingInterrupted`.

Lightning's own handlers still run first where they do something: its SIGTERM notifier in a job of several
processes (it stops the others), and under SLURM with auto-requeue its SIGUSR1 handler that requeues the job.
In a single process its notifier is left out: it would end training at the epoch's end with exit status 0
and no checkpoint. A second SIGINT stops at once (KeyboardInterrupt), as a stuck job expects.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

from multissl.errors import TrainingInterrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1)


class InterruptionCallback(Callback):
    """Turns a signal into a checkpoint at ``checkpoint_path`` and :class:`TrainingInterrupted`."""

    def __init__(self, checkpoint_path: Path, keeps_checkpoint: bool = True) -> None:
        self.checkpoint_path = Path(checkpoint_path)
        self.keeps_checkpoint = keeps_checkpoint
        self.received: int | None = None
        self._chain_sigterm = False
        self._previous: dict[int, Any] = {}

    def on_train_start(self, trainer, pl_module) -> None:
        # after Lightning registered its own handlers, so that they can be chained (see the module docstring)
        if threading.current_thread() is not threading.main_thread():
            return
        self._chain_sigterm = trainer.world_size > 1
        for signum in SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame) -> None:
        if signum == signal.SIGINT and self.received == signal.SIGINT:
            raise KeyboardInterrupt
        previous = self._previous.get(signum)
        chain = signum == signal.SIGUSR1 or (signum == signal.SIGTERM and self._chain_sigterm)
        if chain and callable(previous):
            previous(signum, frame)
        self.received = signum

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if self.received is None:
            return
        epoch_loop = trainer.fit_loop.epoch_loop
        if not (epoch_loop._accumulated_batches_reached() or epoch_loop._num_ready_batches_reached()):
            return  # finish the accumulation: the checkpoint holds no partial gradients
        name = signal.Signals(self.received).name
        if self.keeps_checkpoint:
            trainer.save_checkpoint(self.checkpoint_path)
            message = (
                f"Training interrupted by {name}; resume with resume: last (CLI: --set resume=last "
                f"output_dir={self.checkpoint_path.parent.parent}). Its position "
                f"(epoch {trainer.current_epoch}, step {trainer.global_step}) is saved in {self.checkpoint_path}."
            )
        else:
            message = f"Training interrupted by {name}; nothing was kept: set output_dir to be able to resume a run."
        raise TrainingInterrupted(message, self.received)

    def teardown(self, trainer, pl_module, stage: str) -> None:
        if threading.current_thread() is threading.main_thread():
            for signum, handler in self._previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        self._previous = {}
