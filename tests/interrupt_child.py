"""Child process of tests/test_exact_resume.py: trains a tiny run into OUT, resuming when OUT holds a checkpoint,
and at the end of global step STEP sends itself SIGNAL (a name such as SIGKILL or SIGTERM; "none": never).

    python interrupt_child.py OUT STEP SIGNAL [METHOD]

Prints the run's weights' file (OUT/weights.safetensors) when training finishes.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from lightning.pytorch.callbacks import Callback

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402

import multissl  # noqa: E402

EPOCHS, ROWS, BATCH = 3, 96, 16  # 6 steps an epoch, 18 in all


class SignalAt(Callback):
    def __init__(self, step: int, signum: int | None) -> None:
        self.step, self.signum = step, signum

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.signum is not None and trainer.global_step == self.step:
            os.kill(os.getpid(), self.signum)


def main(out: str, step: str, signal_name: str, method: str = "simclr") -> None:
    resume = "last" if (Path(out) / "checkpoints" / "last.ckpt").is_file() else None
    signum = None if signal_name == "none" else signal.Signals[signal_name]
    multissl.pretrain(
        "vectors", tiny.data(rows=ROWS), method=method, max_epochs=EPOCHS, batch_size=BATCH, output_dir=out,
        resume=resume, callbacks=[SignalAt(int(step), signum)], **{**tiny.OVERRIDES, "trainer.checkpoint_every_n_steps": 4},
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
