"""Child process of tests/test_faults.py: trains or saves a tiny run and kills itself with SIGKILL at a chosen point.

    python fault_child.py train OUT EPOCHS KILL_EPOCH KILL_BATCH   # SIGKILL at that batch's end (-1: never)
    python fault_child.py save  RUN TARGET STAGE                   # load RUN, save it over TARGET, SIGKILL at STAGE
    python fault_child.py loop  RUN TARGET                          # save RUN over TARGET forever
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
from multissl.engine import atomic, run_directory  # noqa: E402


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillAt(Callback):
    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.current_epoch == self.epoch and batch_idx == self.batch:
            die()


def train(out: str, epochs: str, kill_epoch: str, kill_batch: str) -> None:
    resume = "last" if (Path(out) / "checkpoints" / "last.ckpt").is_file() else None
    multissl.pretrain(
        "vectors", tiny.data(rows=256), method="simclr", max_epochs=int(epochs), batch_size=32, output_dir=out,
        resume=resume, callbacks=[KillAt(int(kill_epoch), int(kill_batch))], **tiny.OVERRIDES,
    )


def save(run: str, target: str, stage: str) -> None:
    loaded = multissl.load(run)
    if stage == "writing":  # after the weights, before run.json
        original = run_directory.save_model
        run_directory.save_model = lambda module, path: (original(module, path), die())
    elif stage == "between_renames":  # the fallback without an atomic exchange
        atomic._exchange = lambda first, second: False
        original_replace = os.replace
        moved_aside = Path(target).absolute()
        os.replace = lambda a, b: (original_replace(a, b), Path(a) == moved_aside and die())
    elif stage == "after_exchange":  # the old copy not yet removed
        original_exchange = atomic._exchange
        atomic._exchange = lambda first, second: original_exchange(first, second) and die()
    loaded.save(target, overwrite=True)


def loop(run: str, target: str) -> None:
    loaded = multissl.load(run)
    Path(target + ".ready").touch()
    while True:
        loaded.save(target, overwrite=True)


if __name__ == "__main__":
    {"train": train, "save": save, "loop": loop}[sys.argv[1]](*sys.argv[2:])
