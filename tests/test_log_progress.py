"""Output that is not a terminal gets plain progress lines, not a bar; Lightning's start-up lines and its
logging-service tip are off unless ``multissl pretrain --verbose``."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import multissl
from multissl.engine.log_progress import LogProgress

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402
from test_interruption import write_recipe  # noqa: E402

LINE = re.compile(r"^step \d+/\d+  epoch \d+/\d+  loss -?\d+\.\d{4}  \d+\.\d\d steps/s  ETA \d+:\d\d:\d\d$")


def test_a_line_per_interval_with_step_epoch_loss_throughput_and_eta():
    stream = io.StringIO()
    multissl.pretrain(
        "vectors", tiny.data(rows=64), method="simclr", max_epochs=2, batch_size=16,
        callbacks=[LogProgress(every_seconds=0.0, stream=stream)], **tiny.OVERRIDES,
    )
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 * 4 + 1, "one per step, one at the end"
    assert all(LINE.match(line) for line in lines), lines
    assert lines[0].startswith("step 1/8  epoch 1/2") and lines[-1].startswith("step 8/8  epoch 2/2")
    assert lines[-1].endswith("ETA 0:00:00")


def pretrain_through_a_pipe(tmp_path: Path, *flags: str) -> subprocess.CompletedProcess:
    recipe = write_recipe(tmp_path, epochs=2)
    return subprocess.run(
        [sys.executable, "-m", "multissl", "pretrain", str(recipe), *flags], capture_output=True, text=True, timeout=300,
    )


def test_through_a_pipe_training_prints_progress_lines_and_no_start_up_chatter(tmp_path):
    result = pretrain_through_a_pipe(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    progress = [line for line in result.stdout.splitlines() if line.startswith("step ")]
    assert progress and all(LINE.match(line) for line in progress), result.stdout
    assert progress[-1].startswith("step 32/32  epoch 2/2")
    everything = result.stdout + result.stderr
    assert "\r" not in everything, "no bar redrawn in place"
    for chatter in ("GPU available", "TPU available", "litlogger", "Total params"):
        assert chatter not in everything


def test_verbose_brings_back_the_start_up_lines_and_the_model_summary(tmp_path):
    result = pretrain_through_a_pipe(tmp_path, "--verbose")
    assert result.returncode == 0, result.stderr[-2000:]
    everything = result.stdout + result.stderr
    assert "GPU available" in everything and "Total params" in everything


def test_upstream_deprecation_notices_are_hidden_unless_verbose():
    import logging
    import warnings

    from multissl.engine import startup_messages

    loggers = {name: logging.getLogger(name).level for name in startup_messages.LOGGERS}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            startup_messages.silence()
            warnings.warn("`isinstance(treespec, LeafSpec)` is deprecated, use something else", FutureWarning)
            warnings.warn("a warning the user can act on", UserWarning)
        assert [str(w.message) for w in caught] == ["a warning the user can act on"]
    finally:
        for name, level in loggers.items():
            logging.getLogger(name).setLevel(level)
