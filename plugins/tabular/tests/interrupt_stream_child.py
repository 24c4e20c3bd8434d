"""Child process of test_streamed_resume.py: pretrains T-JEPA on the streamed Parquet table PARQUET into OUT,
resuming when OUT holds a checkpoint, and at the end of global step STEP sends itself SIGNAL (a name such as
SIGKILL; "none": never).

    python interrupt_stream_child.py PARQUET OUT STEP SIGNAL
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[3] / "tests"))
from interrupt_child import SignalAt  # noqa: E402

import multissl  # noqa: E402


def main(parquet: str, out: str, step: str, signal_name: str) -> None:
    resume = "last" if (Path(out) / "checkpoints" / "last.ckpt").is_file() else None
    signum = None if signal_name == "none" else signal.Signals[signal_name]
    multissl.pretrain(
        "tabular", parquet, "tjepa", max_epochs=2, batch_size=32, dim=8, num_layers=1, predictor_dim=8,
        predictor_layers=1, predictor_ffn_dim=8, output_dir=out, resume=resume, callbacks=[SignalAt(int(step), signum)],
        **{"data.streaming": True, "data.stream_batch_rows": 50, "trainer.enable_progress_bar": False,
           "trainer.checkpoint_every_n_steps": 4},
    )


if __name__ == "__main__":
    main(*sys.argv[1:])
