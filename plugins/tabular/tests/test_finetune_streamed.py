"""Fine-tuning a run pretrained on a streamed Parquet file: the few labelled rows in memory, predictions streamed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.errors import InvalidDataError

STREAMED = {"data.streaming": True, "data.stream_batch_rows": 50, "data.label_column": "label",
            "trainer.enable_progress_bar": False, "trainer.loggers": []}


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"x": rng.normal(0, 1, n), "z": rng.normal(0, 1, n), "c": rng.choice(["a", "b"], n)})
    frame["label"] = np.where(frame["x"] + 0.2 * frame["z"] > 0, "high", "low")
    path = tmp_path_factory.mktemp("streamed") / "rows.parquet"
    frame.to_parquet(path, row_group_size=64)
    return path, frame


@pytest.fixture(scope="module")
def run(parquet):
    path, _ = parquet
    return multissl.pretrain("tabular", str(path), "tjepa", max_epochs=1, batch_size=64, dim=8, num_layers=1,
                             predictor_dim=8, predictor_layers=1, predictor_ffn_dim=8, **STREAMED)


def test_a_labelled_subset_in_memory_fine_tunes_and_the_stream_is_predicted(parquet, run, tmp_path):
    path, frame = parquet
    labelled = pd.read_parquet(path).iloc[:80]  # the few labelled rows, read whole
    tuned = multissl.finetune(run, labelled, "label", epochs=40, lr=1e-2, batch_size=16)
    streamed = tuned.predict(str(path))
    assert streamed.shape == (400,)
    np.testing.assert_array_equal(streamed, tuned.predict(frame))
    held_out = frame["label"].to_numpy()[80:]
    assert (streamed[80:] == held_out).mean() > 0.7
    tuned.save(tmp_path / "tuned")
    np.testing.assert_array_equal(multissl.load(tmp_path / "tuned").predict(str(path)), streamed)


def test_the_stream_itself_is_refused_with_what_to_do(parquet, run):
    path, _ = parquet
    with pytest.raises(InvalidDataError, match="streamed.*labelled rows as a DataFrame"):
        multissl.finetune(run, str(path), "label")
