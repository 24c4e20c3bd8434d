"""A directory of Parquet files with uneven row groups, streamed: read like ``pandas.read_parquet``, and split between
DataLoader workers and between two processes (``ddp_spawn``) with every row once per epoch and equal steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from multissl_tabular.modality import Tabular, TabularOptions
from multissl_tabular.streaming import ParquetStream

import multissl

ROWS = 307
QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}
SMALL_TJEPA = {"dim": 8, "num_layers": 1, "predictor_dim": 8, "predictor_layers": 1, "predictor_ffn_dim": 8}


def _frame(n: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "row_id": np.arange(n, dtype=float),  # MinMax-scaled to row_id / (n - 1): tells the rows apart
        "x": rng.normal(0, 1, n),
        "c": pd.array(rng.choice(["a", "b", "?"], n), dtype="str"),
        "label": rng.integers(0, 2, n),
    })


@pytest.fixture
def directory(tmp_path) -> tuple[Path, pd.DataFrame]:
    """Three files of 100, 57 and 150 rows in row groups of 30, 57 and 64 rows, plus Spark's ``_SUCCESS`` marker."""
    frame = _frame()
    folder = tmp_path / "table"
    folder.mkdir()
    for name, (start, stop), group_rows in [("part-0", (0, 100), 30), ("part-1", (100, 157), 57), ("part-2", (157, ROWS), 64)]:
        pq.write_table(pa.Table.from_pandas(frame.iloc[start:stop], preserve_index=False), folder / f"{name}.parquet",
                       row_group_size=group_rows)
    (folder / "_SUCCESS").touch()
    return folder, frame


def _options(**extra) -> TabularOptions:
    return TabularOptions(label_column="label", missing_values=["?"], stream_batch_rows=20, **extra)


def _row_ids(numeric: torch.Tensor) -> np.ndarray:
    return np.rint(numeric[:, 0].double().numpy() * (ROWS - 1)).astype(int)


def test_a_directory_streams_in_the_order_pandas_reads_it(directory):
    folder, frame = directory
    streamed, in_memory = Tabular(_options(streaming=True)), Tabular(_options(streaming=False))
    stream, table = streamed.load(folder), in_memory.load(folder)
    assert isinstance(stream, ParquetStream) and stream.piece_rows == [30, 30, 30, 10, 57, 64, 64, 22]
    np.testing.assert_array_equal(stream.labels, frame["label"].to_numpy())
    streamed.fit(stream)
    in_memory.fit(table)
    np.testing.assert_allclose(streamed.offset, in_memory.offset)
    assert streamed.vocabularies == in_memory.vocabularies == [["a", "b"]]
    loader = streamed.dataloader(streamed.dataset(stream), batch_size=50, shuffle=False, drop_last=False, num_workers=0, seed=0)
    numeric, codes = in_memory.transform(table)
    torch.testing.assert_close(torch.cat([b["numeric"] for b in loader]), numeric, equal_nan=True)
    torch.testing.assert_close(torch.cat([b["categorical"] for b in loader]), codes)


def test_hive_partitions_are_columns(tmp_path):
    frame = _frame().assign(region=np.repeat([1, 2, 3], [100, 107, 100]))
    pq.write_to_dataset(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "hive", partition_cols=["region"])
    modality = Tabular(_options(streaming=True, numeric_columns=["region"]))
    stream = modality.load(tmp_path / "hive")
    assert modality.numeric_sources == ["row_id", "x", "region"] and len(stream) == ROWS
    modality.fit(stream)
    rows = torch.cat([b["numeric"] for b in modality.dataloader(modality.dataset(stream), batch_size=64, shuffle=False,
                                                               drop_last=False, num_workers=0, seed=0)])
    ids, region = _row_ids(rows), rows[:, 2].numpy() * 2 + 1  # MinMax over 1..3
    np.testing.assert_allclose(region, frame["region"].to_numpy()[ids])


@pytest.mark.parametrize("drop_last", [False, True])
def test_two_workers_share_an_epoch_without_duplicates(directory, drop_last):
    folder, _ = directory
    modality = Tabular(_options(streaming=True))
    stream = modality.load(folder)
    modality.fit(stream)
    loader = modality.dataloader(modality.dataset(stream), batch_size=32, shuffle=True, drop_last=drop_last, num_workers=2, seed=3)
    epochs = []
    for epoch in range(2):
        loader.sampler.set_epoch(epoch)  # what Lightning does before each epoch
        batches = list(loader)
        assert len(batches) == len(loader) == (ROWS // 32 if drop_last else 10)
        epochs.append(np.concatenate([_row_ids(b["numeric"]) for b in batches]))
    for ids in epochs:
        assert len(np.unique(ids)) == len(ids) == (ROWS // 32 * 32 if drop_last else ROWS)
    assert not np.array_equal(epochs[0], epochs[1])


class RecordRows(Callback):
    """Writes the row ids of each rank's batches, one file per rank and epoch (spawned processes share no memory)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.ids = folder, []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.ids.append(_row_ids(batch["numeric"].cpu()))

    def on_train_epoch_end(self, trainer, pl_module):
        np.save(self.folder / f"rank{trainer.global_rank}_epoch{trainer.current_epoch}.npy", np.concatenate(self.ids))
        np.save(self.folder / f"rank{trainer.global_rank}_epoch{trainer.current_epoch}_steps.npy", len(self.ids))
        self.ids = []


def test_two_processes_see_every_row_once_per_epoch_in_equal_steps(directory, tmp_path):
    folder, frame = directory
    seen = tmp_path / "seen"
    seen.mkdir()
    run = multissl.pretrain(
        "tabular", str(folder), "tjepa", max_epochs=2, batch_size=32, callbacks=[RecordRows(seen)], **SMALL_TJEPA, **QUIET,
        **{"data.streaming": True, "data.stream_batch_rows": 20, "data.label_column": "label", "data.missing_values": ["?"],
           "loader.drop_last": False, "trainer.devices": 2, "trainer.strategy": "ddp_spawn", "trainer.accelerator": "cpu"},
    )
    # 307 rows: 153 and 154 per process, 5 steps each (4 x 32, then 25 or 26 rows)
    assert run.metrics["train"]["steps"] == 2 * 5
    orders = []
    for epoch in range(2):
        steps = [int(np.load(seen / f"rank{rank}_epoch{epoch}_steps.npy")) for rank in range(2)]
        assert steps == [5, 5]
        ids = [np.load(seen / f"rank{rank}_epoch{epoch}.npy") for rank in range(2)]
        assert sorted(len(i) for i in ids) == [153, 154]
        both = np.concatenate(ids)
        np.testing.assert_array_equal(np.sort(both), np.arange(ROWS))
        orders.append(both)
    assert not np.array_equal(orders[0], orders[1])
    np.testing.assert_allclose(run.embed(str(folder)), run.embed(frame), rtol=1e-5, atol=1e-6)
