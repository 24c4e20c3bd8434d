"""Parquet tables larger than memory: a file or a directory of files (Spark / pyarrow output, hive partitions read as
columns) opened as a ``pyarrow.dataset`` and read row group by row group, for fitting, training and embedding.

Training order: each epoch draws a row-group order from ``(seed, epoch)`` (the same on every process), splits the
rows between processes and DataLoader workers (:mod:`multissl_tabular.row_sharding`: no row twice, equal steps on
every process), shuffles the rows of each record batch it reads, and cuts batches across record-batch boundaries
(a chunk-level shuffle, not a global one: rows of one row group stay near each other within an epoch). Memory is
bounded by about one record batch plus one batch per worker, whatever the table's size. Embedding reads the rows in
table order: the files in ``pyarrow.dataset``'s order (that of ``pandas.read_parquet``), row groups in file order.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from multissl import distributed
from multissl.engine.derived_seed import derived_seed
from multissl.engine.resumable_loader import ResumableDataLoader
from multissl.errors import EmptyDataError, InvalidDataError, RecipeError, did_you_mean
from multissl_tabular.row_sharding import RowSlice, steps_per_rank, worker_slices

if TYPE_CHECKING:
    import pyarrow.dataset

    from multissl_tabular.modality import Tabular, TabularOptions, TabularTable

PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet_source(source: Any) -> bool:
    """A path to a ``.parquet`` / ``.pq`` file, or to a directory (read as a dataset of Parquet files)."""
    return isinstance(source, str | Path) and (str(source).lower().endswith(PARQUET_SUFFIXES) or Path(source).is_dir())


def streamed(source: Any, options: TabularOptions) -> bool:
    """Whether ``source`` is Parquet to stream: ``options.streaming``, or when it is None, whether the table would
    take more than ``options.stream_above_mb`` in memory (:func:`~multissl_tabular.memory_estimate.in_memory_bytes`).
    Other sources (DataFrames, CSV) are always read whole, so a streamed run still embeds a DataFrame."""
    if not is_parquet_source(source):
        return False
    if options.streaming is not None:
        return bool(options.streaming)
    if not Path(source).exists():
        return False  # the in-memory reader names the missing file
    from multissl_tabular.memory_estimate import in_memory_bytes

    return in_memory_bytes(parquet_dataset(Path(source)), options) > options.stream_above_mb * 2**20


def parquet_dataset(path: Path) -> pyarrow.dataset.Dataset:
    """``pyarrow.dataset.dataset(path)`` of a Parquet file or directory (hive partitions as columns; names starting
    with ``.`` or ``_``, such as Spark's ``_SUCCESS``, skipped); a source pyarrow cannot read raises an error naming it."""
    import pyarrow
    import pyarrow.dataset as ds

    if not path.exists():
        raise InvalidDataError(f"Table file {str(path)!r} does not exist.")
    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
    except (pyarrow.ArrowException, OSError) as exc:
        raise InvalidDataError(
            f"Cannot read {str(path)!r} as Parquet ({exc}). A file is corrupt, truncated or not Parquet: write it "
            "again (DataFrame.to_parquet), remove other files from the directory, or pass a CSV file."
        ) from exc
    if path.is_dir() and not dataset.files:
        raise EmptyDataError(f"Directory {str(path)!r} holds no Parquet files. Point data.source at a Parquet file or a directory of them.")
    return dataset


def head(dataset: Any, fragment: Any, rows: int) -> Any:
    """The first ``rows`` rows of ``fragment`` (a file or row group of ``dataset``, partition columns included) as an
    Arrow table, decoding one record batch at a time (``Dataset.head`` reads ahead several files: 0.8 GB on 10M rows)."""
    import pyarrow.dataset as ds

    return ds.Scanner.from_fragment(fragment, schema=dataset.schema, batch_size=rows, batch_readahead=1).head(rows)


@dataclasses.dataclass
class ParquetStream:
    """A Parquet file or directory read lazily: its row groups (``piece_rows`` rows each, in table order), and the
    labels (the column ``label_column``, read whole when first asked for: pretraining never reads it)."""

    path: Path
    dataset: Any
    pieces: list[tuple[int, int]]
    """``(file index, row group id)`` of every row group, in table order."""
    piece_rows: list[int]
    label_column: str | None
    batch_rows: int

    @functools.cached_property
    def labels(self) -> np.ndarray | None:
        if self.label_column is None:
            return None
        return self.dataset.to_table(columns=[self.label_column]).column(0).to_numpy()

    @property
    def n_rows(self) -> int:
        return sum(self.piece_rows)

    @property
    def row_groups(self) -> int:
        return len(self.pieces)

    def __len__(self) -> int:
        return self.n_rows

    def tables(self, modality: Tabular, slices: list[RowSlice] | None = None) -> Iterator[TabularTable]:
        """The feature columns as :class:`TabularTable` chunks of at most ``batch_rows`` rows: every row in table
        order, or the rows of ``slices`` in their order."""
        fragments = list(self.dataset.get_fragments())
        columns = modality.source_columns
        for part in slices if slices is not None else (RowSlice(i, 0, rows) for i, rows in enumerate(self.piece_rows)):
            file, group = self.pieces[part.piece]
            row_group = fragments[file].subset(row_group_ids=[group])
            offset = 0
            # one record batch read ahead (pyarrow's default, 16, would decode a large row group whole)
            batches = row_group.to_batches(schema=self.dataset.schema, columns=columns, batch_size=self.batch_rows,
                                           batch_readahead=1)
            for batch in batches:
                low, high = max(part.start - offset, 0), min(part.stop - offset, batch.num_rows)
                offset += batch.num_rows
                if low < high:
                    yield modality.table(modality.with_missing_values(batch.slice(low, high - low).to_pandas()))
                if offset >= part.stop:
                    break


def open_stream(modality: Tabular, path: Path) -> ParquetStream:
    """Check the table's columns (choosing their types from its first record batch when not fitted yet)."""
    dataset = parquet_dataset(path)
    options = modality.options
    if options.stream_batch_rows < 1:
        raise RecipeError(f"data.stream_batch_rows must be >= 1, got {options.stream_batch_rows}.")
    pieces, piece_rows = [], []
    for file, fragment in enumerate(dataset.get_fragments()):
        for group in fragment.row_groups:
            if group.num_rows:
                pieces.append((file, group.id))
                piece_rows.append(group.num_rows)
    if not piece_rows:
        raise EmptyDataError(f"{path} has no rows. Pass at least one row.")
    columns = dataset.schema.names
    label = options.label_column
    if label is not None and label not in columns and not modality.fitted:
        raise InvalidDataError(f"Label column {label!r} is not in {path}.{did_you_mean(label, columns)} Columns: {columns[:20]}.")
    if not modality.fitted:
        sample = head(dataset, next(dataset.get_fragments()), min(options.stream_batch_rows, 4096)).to_pandas()
        modality._choose_columns(modality.with_missing_values(sample.rename(columns=str)))
    needed = modality.source_columns
    if not needed:
        raise EmptyDataError("The table has no feature columns (only the label column). Add feature columns.")
    absent = [c for c in needed if c not in columns]
    if absent:
        raise InvalidDataError(
            f"Columns {absent[:10]} ({len(absent)} in all) are not in {path}; the run uses {len(needed)} columns. "
            f"The table has: {columns[:20]}."
        )
    label_column = label if label is not None and label in columns else None
    return ParquetStream(path, dataset, pieces, piece_rows, label_column, options.stream_batch_rows)


class StreamedRows(IterableDataset):
    """The rows of a :class:`ParquetStream` as ``(numeric, categorical)`` tensors in table order;
    ``len`` is the row count. Batches come from :func:`stream_loader`."""

    def __init__(self, modality: Tabular, stream: ParquetStream) -> None:
        self.modality = modality
        self.stream = stream

    def __len__(self) -> int:
        return self.stream.n_rows

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for table in self.stream.tables(self.modality):
            yield from zip(*self.modality.transform(table))


class StreamedBatches(IterableDataset):
    """Batches ``{"numeric", "categorical"}`` cut from whole record batches. Shuffled: this process's and this
    worker's share of the epoch ``epoch`` (:mod:`multissl_tabular.row_sharding`), ``len`` the steps of one process.
    Not shuffled: every row in table order, in one process (embedding)."""

    def __init__(self, rows: StreamedRows, batch_size: int, shuffle: bool, drop_last: bool, seed: int) -> None:
        self.rows, self.batch_size, self.shuffle, self.drop_last, self.seed = rows, batch_size, shuffle, drop_last, seed
        self.epoch = 0
        self.process: tuple[int, int] | None = None
        """``(rank, world size)`` set by :class:`StreamLoader` in the training process before its workers start
        (a worker started by spawn has no process group); None: read from ``torch.distributed`` here."""

    def __len__(self) -> int:
        n = len(self.rows)
        if self.shuffle:
            return steps_per_rank(n, distributed.world_size(), self.batch_size, self.drop_last)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        stream, modality = self.rows.stream, self.rows.modality
        if not self.shuffle:
            yield from self._cut(stream.tables(modality), len(self), None)
            return
        generator = torch.Generator().manual_seed(derived_seed(self.seed, self.epoch))
        order = torch.randperm(stream.row_groups, generator=generator).tolist()  # the same on every process
        worker = get_worker_info()
        rank, world = self.process or (distributed.rank(), distributed.world_size())
        slices, batches = worker_slices(
            stream.piece_rows, order, rank=rank, world=world, worker=worker.id if worker else 0,
            workers=worker.num_workers if worker else 1, batch_size=self.batch_size, drop_last=self.drop_last,
        )
        generator.manual_seed(derived_seed(self.seed, self.epoch, rank, worker.id if worker else 0))
        yield from self._cut(stream.tables(modality, slices), batches, generator)

    def _cut(self, tables: Iterator[TabularTable], batches: int, generator: torch.Generator | None) -> Iterator[dict[str, torch.Tensor]]:
        """``batches`` batches of ``batch_size`` rows from ``tables`` (each chunk's rows shuffled by ``generator``);
        the last one takes every row left unless ``drop_last``."""
        modality = self.rows.modality
        pending_numeric, pending_codes, pending, handed = [], [], 0, 0
        for table in tables:
            numeric, codes = modality.transform(table)
            if generator is not None:
                permutation = torch.randperm(len(numeric), generator=generator)
                numeric, codes = numeric[permutation], codes[permutation]
            pending_numeric.append(numeric)
            pending_codes.append(codes)
            pending += len(numeric)
            full = min(pending // self.batch_size, batches - handed - (0 if self.drop_last else 1))
            if full <= 0:
                continue
            numeric, codes = torch.cat(pending_numeric), torch.cat(pending_codes)
            cut = full * self.batch_size
            for start in range(0, cut, self.batch_size):
                yield {"numeric": numeric[start : start + self.batch_size], "categorical": codes[start : start + self.batch_size]}
            handed += full
            pending_numeric, pending_codes, pending = [numeric[cut:]], [codes[cut:]], pending - cut
        if pending and handed < batches:
            yield {"numeric": torch.cat(pending_numeric), "categorical": torch.cat(pending_codes)}


class _EpochSetter:
    """The sampler of a :class:`StreamLoader`: yields ``None`` forever (an IterableDataset draws no indices) and
    passes ``set_epoch`` on to the batches, which Lightning calls before each training epoch as it does for
    ``DistributedSampler`` (also on resume, with the restored epoch)."""

    def __init__(self, batches: StreamedBatches) -> None:
        self.batches = batches

    @property
    def epoch(self) -> int:
        return self.batches.epoch

    def set_epoch(self, epoch: int) -> None:
        self.batches.epoch = epoch

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


class StreamLoader(ResumableDataLoader):
    """A DataLoader over :class:`StreamedBatches` (already batched: ``batch_size=None``) whose ``sampler.set_epoch``
    reseeds the shuffle. Workers start afresh each epoch (not persistent) so they receive the new epoch. A run
    resumed inside an epoch reads and drops the batches the interrupted one had trained on, then goes on (with the
    same ``loader.num_workers``, which decides how the workers' batches interleave)."""

    def __init__(self, batches: StreamedBatches, num_workers: int) -> None:
        super().__init__(batches, batch_size=None, num_workers=num_workers)
        # DataLoader fixes the sampler of an IterableDataset and refuses to set it after __init__
        object.__setattr__(self, "sampler", _EpochSetter(batches))

    def __iter__(self):
        self.dataset.process = (distributed.rank(), distributed.world_size())
        return super().__iter__()


def stream_loader(rows: StreamedRows, *, batch_size: int, shuffle: bool, drop_last: bool, num_workers: int, seed: int) -> DataLoader:
    """Training (``shuffle``): this process's share, read by ``num_workers`` workers. Embedding: every row in order,
    read in this process."""
    if num_workers < 0:
        raise RecipeError(f"loader.num_workers must be >= 0, got {num_workers}.")
    return StreamLoader(StreamedBatches(rows, batch_size, shuffle, drop_last, seed), num_workers if shuffle else 0)
