"""Parquet files larger than memory: read in record batches (pyarrow) for fitting, training and embedding.

Training order: the row groups in a random order each epoch, the rows of each record batch shuffled,
batches cut across record-batch boundaries (a chunk-level shuffle, not a global one: rows of one row
group stay near each other within an epoch). Memory is bounded by about one record batch plus one
batch, whatever the file's size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset

from multissl.errors import EmptyDataError, InvalidDataError, RecipeError, did_you_mean

if TYPE_CHECKING:
    from multissl_tabular.modality import Tabular, TabularOptions, TabularTable


def streamed(source: Any, options: TabularOptions) -> bool:
    """Whether ``source`` is a Parquet path to stream: ``options.streaming``, or by size when it is None.
    Other sources (DataFrames, CSV) are always read whole, so a streamed run still embeds a DataFrame."""
    if not isinstance(source, str | Path) or not str(source).lower().endswith((".parquet", ".pq")):
        return False
    if options.streaming is not None:
        return bool(options.streaming)
    if not Path(source).is_file():
        return False  # the in-memory reader names the missing file
    metadata = parquet_file(Path(source)).metadata
    return metadata.num_rows * metadata.num_columns * 8 > options.stream_above_mb * 2**20


def parquet_file(path: Path):
    """``pyarrow.parquet.ParquetFile(path)``; a file pyarrow cannot read raises an error naming it."""
    import pyarrow
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pyarrow.ArrowException, OSError) as exc:
        raise InvalidDataError(
            f"Cannot read {str(path)!r} as Parquet ({exc}). The file is corrupt, truncated or not Parquet: "
            "write it again (DataFrame.to_parquet) or pass a CSV file."
        ) from exc


@dataclasses.dataclass
class ParquetStream:
    """A Parquet file read lazily: ``n_rows``, its row groups, and the labels (one column, read whole)."""

    path: Path
    n_rows: int
    row_groups: int
    labels: np.ndarray | None
    batch_rows: int

    def __len__(self) -> int:
        return self.n_rows

    def tables(self, modality: Tabular, row_groups: list[int] | None = None) -> Iterator[TabularTable]:
        """The feature columns, one :class:`TabularTable` per record batch, in file order or ``row_groups`` order."""
        import pyarrow.parquet as pq

        file = pq.ParquetFile(self.path)
        for group in range(self.row_groups) if row_groups is None else row_groups:
            for batch in file.iter_batches(batch_size=self.batch_rows, row_groups=[group], columns=modality.source_columns):
                yield modality.table(modality.with_missing_values(batch.to_pandas()))


def open_stream(modality: Tabular, path: Path) -> ParquetStream:
    """Check the file's columns (choosing their types from its first record batch when not fitted yet)."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise InvalidDataError(f"Table file {str(path)!r} does not exist.")
    file = parquet_file(path)
    if file.metadata.num_rows == 0:
        raise EmptyDataError(f"{path} has no rows. Pass at least one row.")
    options = modality.options
    if options.stream_batch_rows < 1:
        raise RecipeError(f"data.stream_batch_rows must be >= 1, got {options.stream_batch_rows}.")
    columns = file.schema_arrow.names
    label = options.label_column
    if label is not None and label not in columns and not modality.fitted:
        raise InvalidDataError(f"Label column {label!r} is not in {path}.{did_you_mean(label, columns)} Columns: {columns[:20]}.")
    if not modality.fitted:
        sample = next(file.iter_batches(batch_size=min(options.stream_batch_rows, 4096))).to_pandas()
        modality._choose_columns(modality.with_missing_values(sample.rename(columns=str)))
    needed = modality.source_columns
    if not needed:
        raise EmptyDataError("The table has no feature columns (only the label column). Add feature columns.")
    absent = [c for c in needed if c not in columns]
    if absent:
        raise InvalidDataError(
            f"Columns {absent[:10]} ({len(absent)} in all) are not in {path}; the run uses {len(needed)} columns. "
            f"The file has: {columns[:20]}."
        )
    labels = None
    if label is not None and label in columns:
        labels = pq.read_table(path, columns=[label]).column(0).to_numpy()
    return ParquetStream(path, file.metadata.num_rows, file.metadata.num_row_groups, labels, options.stream_batch_rows)


class StreamedRows(IterableDataset):
    """The rows of a :class:`ParquetStream` as ``(numeric, categorical)`` tensors in file order;
    ``len`` is the row count. Training batches come from :func:`stream_loader`."""

    def __init__(self, modality: Tabular, stream: ParquetStream) -> None:
        self.modality = modality
        self.stream = stream

    def __len__(self) -> int:
        return self.stream.n_rows

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for table in self.stream.tables(self.modality):
            yield from zip(*self.modality.transform(table))


class StreamedBatches(IterableDataset):
    """Batches ``{"numeric", "categorical"}`` cut from whole record batches; the epoch counter reseeds the shuffle."""

    def __init__(self, rows: StreamedRows, batch_size: int, shuffle: bool, drop_last: bool, seed: int) -> None:
        self.rows, self.batch_size, self.shuffle, self.drop_last, self.seed = rows, batch_size, shuffle, drop_last, seed
        self.epoch = 0

    def __len__(self) -> int:
        n = len(self.rows)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        if torch.distributed.is_available() and torch.distributed.is_initialized() and torch.distributed.get_world_size() > 1:
            raise RecipeError("Streamed Parquet training runs in one process; set trainer.devices=1 or load the table in memory.")
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        self.epoch += 1
        stream, modality = self.rows.stream, self.rows.modality
        order = torch.randperm(stream.row_groups, generator=generator).tolist() if self.shuffle else None
        pending_numeric, pending_codes = [], []
        pending = 0
        for table in stream.tables(modality, order):
            numeric, codes = modality.transform(table)
            if self.shuffle:
                permutation = torch.randperm(len(numeric), generator=generator)
                numeric, codes = numeric[permutation], codes[permutation]
            pending_numeric.append(numeric)
            pending_codes.append(codes)
            pending += len(numeric)
            if pending < self.batch_size:
                continue
            numeric, codes = torch.cat(pending_numeric), torch.cat(pending_codes)
            cut = pending - pending % self.batch_size
            for start in range(0, cut, self.batch_size):
                yield {"numeric": numeric[start : start + self.batch_size], "categorical": codes[start : start + self.batch_size]}
            pending_numeric, pending_codes, pending = [numeric[cut:]], [codes[cut:]], pending - cut
        if pending and not self.drop_last:
            yield {"numeric": torch.cat(pending_numeric), "categorical": torch.cat(pending_codes)}


def stream_loader(rows: StreamedRows, *, batch_size: int, shuffle: bool, drop_last: bool, num_workers: int, seed: int) -> DataLoader:
    """A DataLoader over :class:`StreamedBatches` (already batched: ``batch_size=None``), read in this process."""
    if num_workers > 0:
        raise RecipeError(
            f"Streamed Parquet tables are read in the training process; set loader.num_workers=0 (got {num_workers})."
        )
    return DataLoader(StreamedBatches(rows, batch_size, shuffle, drop_last, seed), batch_size=None)
