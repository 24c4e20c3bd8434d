"""Streamed Parquet: the same preprocessing as in memory, every row once per epoch, pretraining and embedding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from multissl_tabular.modality import Tabular, TabularOptions
from multissl_tabular.streaming import ParquetStream, StreamedBatches

import multissl
from multissl.errors import InvalidDataError, RecipeError


@pytest.fixture
def parquet(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "x": rng.normal(5, 2, n),
            "y": rng.integers(0, 100, n).astype(float),
            "c": pd.array(rng.choice(["a", "b", "c", "?"], n), dtype="str"),
            "label": rng.integers(0, 2, n),
        }
    )
    frame.loc[::17, "x"] = np.nan
    path = tmp_path / "t.parquet"
    frame.to_parquet(path, row_group_size=64)
    return path, frame


def _options(**extra) -> TabularOptions:
    return TabularOptions(label_column="label", missing_values=["?"], stream_batch_rows=50, **extra)


@pytest.mark.parametrize("scaling", ["minmax", "standard"])
def test_streamed_fit_and_transform_equal_the_in_memory_ones(parquet, scaling):
    path, frame = parquet
    streamed, in_memory = Tabular(_options(streaming=True, scaling=scaling)), Tabular(_options(streaming=False, scaling=scaling))
    stream, table = streamed.load(path), in_memory.load(frame)
    assert isinstance(stream, ParquetStream) and len(stream) == 300 and stream.row_groups == 5
    np.testing.assert_array_equal(stream.labels, frame["label"].to_numpy())
    streamed.fit(stream)
    in_memory.fit(table)
    np.testing.assert_allclose(streamed.offset, in_memory.offset)
    np.testing.assert_allclose(streamed.scale, in_memory.scale)
    assert streamed.vocabularies == in_memory.vocabularies == [["a", "b", "c"]]
    ordered = streamed.dataloader(streamed.dataset(stream), batch_size=64, shuffle=False, drop_last=False, num_workers=0, seed=0)
    batches = list(ordered)
    numeric, codes = in_memory.transform(table)
    torch.testing.assert_close(torch.cat([b["numeric"] for b in batches]), numeric, equal_nan=True)
    torch.testing.assert_close(torch.cat([b["categorical"] for b in batches]), codes)
    assert len(ordered) == len(batches) == 5


def test_shuffled_epochs_give_every_row_once_in_a_new_order(parquet):
    path, _ = parquet
    modality = Tabular(_options(streaming=True))
    stream = modality.load(path)
    modality.fit(stream)
    batches = StreamedBatches(modality.dataset(stream), batch_size=32, shuffle=True, drop_last=True, seed=0)
    first = [b["numeric"][:, 1] for b in batches]
    batches.epoch = 1
    second = [b["numeric"][:, 1] for b in batches]
    assert len(first) == len(batches) == 300 // 32 and all(len(b) == 32 for b in first)
    values = np.sort(np.concatenate([b.numpy() for b in first]))
    everything = np.sort(modality.transform(modality.table(pd.read_parquet(path)))[0][:, 1].numpy())
    assert len(values) == 288 and np.isin(values, everything).all()
    assert not torch.equal(torch.cat(first), torch.cat(second))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_a_resumed_epoch_goes_on_with_the_batches_the_interrupted_one_had_not_reached(parquet, num_workers):
    path, _ = parquet
    modality = Tabular(_options(streaming=True))
    stream = modality.load(path)
    modality.fit(stream)

    def loader():
        return modality.dataloader(modality.dataset(stream), batch_size=32, shuffle=True, drop_last=False,
                                   num_workers=num_workers, seed=0)

    whole = loader()
    whole.sampler.set_epoch(2)
    expected = [b["numeric"] for b in whole]
    interrupted = loader()
    interrupted.sampler.set_epoch(2)
    taken = iter(interrupted)
    next(taken), next(taken), next(taken)
    state = interrupted.state_dict()
    assert state == {"epoch": 2, "batches": 3}
    resumed = loader()
    resumed.load_state_dict(state)
    resumed.sampler.set_epoch(2)
    rest = [b["numeric"] for b in resumed]
    assert len(rest) == len(expected) - 3
    for got, want in zip(rest, expected[3:], strict=True):
        torch.testing.assert_close(got, want, rtol=0, atol=0, equal_nan=True)


def test_pretrain_streams_and_embeds_like_the_in_memory_table(parquet):
    path, frame = parquet
    run = multissl.pretrain(
        "tabular", str(path), "tjepa", max_epochs=1, batch_size=64, dim=8, num_layers=1, predictor_dim=8,
        predictor_layers=1, predictor_ffn_dim=8,
        **{"data.streaming": True, "data.stream_batch_rows": 50, "data.label_column": "label",
           "data.missing_values": ["?"], "trainer.enable_progress_bar": False, "trainer.loggers": []},
    )
    assert run.metrics["train"]["steps"] == 300 // 64
    streamed = run.embed(str(path))
    np.testing.assert_allclose(streamed, run.embed(frame), rtol=1e-5, atol=1e-6)


def test_streaming_is_chosen_by_size_when_not_set(parquet):
    path, _ = parquet
    assert isinstance(Tabular(_options(stream_above_mb=1e-6)).load(path), ParquetStream)
    assert not isinstance(Tabular(_options()).load(path), ParquetStream)
    assert not isinstance(Tabular(_options(streaming=True)).load(pd.read_parquet(path)), ParquetStream)  # frames: in memory


def test_streaming_refusals_say_what_to_change(parquet):
    path, _ = parquet
    with pytest.raises(InvalidDataError, match="Label column 'lable'"):
        Tabular(TabularOptions(label_column="lable", streaming=True)).load(path)
    common = {"max_epochs": 1, "dim": 8, "num_layers": 1, "predictor_layers": 1, "data.streaming": True,
              "trainer.enable_progress_bar": False, "trainer.loggers": []}
    with pytest.raises(RecipeError, match="val_fraction=0"):
        multissl.pretrain("tabular", str(path), "tjepa", **common, **{"loader.val_fraction": 0.1})
