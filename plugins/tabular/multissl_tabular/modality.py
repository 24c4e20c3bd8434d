"""The ``tabular`` modality: mixed numeric and categorical tables from a DataFrame, CSV or Parquet file.

Column types are named by the user or inferred (pandas 3 aware): numeric dtypes are numeric; ``str``,
``object`` (strings only), ``category`` and ``bool`` are categorical; a datetime column becomes the
numeric features ``<name>.year``, ``<name>.month`` and ``<name>.day``. Preprocessing is fitted on the
training rows and saved with the run:

- numeric: MinMax ``(x - min) / (max - min)`` (or standard ``(x - mean) / std``); a constant column
  maps to 0. A missing value is kept as NaN in the batch and the tokenizer gives it a learned
  per-column [MISSING] token — never a silent fill.
- categorical: a vocabulary per column; code 0 is the missing token, 1 the unknown token (categories
  not seen in training, mapped there at embed time), ``2 + i`` the i-th training category.

Batches are ``{"numeric": (N, n_num) float32 (NaN = missing), "categorical": (N, n_cat) int64}``.
"""

from __future__ import annotations

import dataclasses
import warnings
import zlib
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, TensorDataset

from multissl.errors import (
    EmptyDataError,
    InvalidDataError,
    NonFiniteDataError,
    did_you_mean,
)
from multissl.modalities.base import Modality, PreprocessingState
from multissl_tabular.fit_statistics import FitStatistics
from multissl_tabular.marginals import RowSample, marginal_points
from multissl_tabular.streaming import (
    ParquetStream,
    StreamedRows,
    is_parquet_source,
    open_stream,
    parquet_dataset,
    stream_loader,
    streamed,
)

TABLE_ENCODER: dict[str, Any] = {"dim": 32, "num_layers": 2, "ffn_dim": 64}
"""The generic methods' row encoder: SCARF's recipe size (2 layers of width 32)."""
TABLE_VIEWS: list[dict[str, Any]] = [
    {"name": "training_marginal_corruption", "ratio": 0.3},
    {"name": "feature_subset", "low": 0.7, "high": 1.0, "value": float("nan")},
]
"""Two-view tables: SCARF's corruption from the training marginals, then a random subset of the columns kept."""

MISSING_CODE = 0
UNKNOWN_CODE = 1
FIRST_CATEGORY_CODE = 2
DATETIME_PARTS = ("year", "month", "day")


@dataclasses.dataclass
class TabularOptions:
    """Recipe keys under ``data`` for the ``tabular`` modality."""

    label_column: str | None = None
    """Column holding labels; used only for evaluation, never as a feature."""
    numeric_columns: list[str] | None = None
    """Columns to treat as numeric; every column named in neither list has its type inferred from its dtype."""
    categorical_columns: list[str] | None = None
    """Columns to treat as categorical (e.g. label-encoded integers); drop columns to leave them out."""
    scaling: Literal["minmax", "standard"] = "minmax"
    """Numeric scaling fitted on the training rows (T-JEPA uses MinMax)."""
    missing_values: list[str] = dataclasses.field(default_factory=list)
    """Values that mean missing besides NaN/None, e.g. ``["?"]`` for Adult."""
    streaming: bool | None = None
    """Read a Parquet file or directory in record batches instead of whole (fit, training and embedding stream it;
    training splits the rows between processes and DataLoader workers). None: stream when the table would take more
    than ``stream_above_mb`` in memory, estimated from a sample of its row groups."""
    stream_above_mb: float = 1024.0
    """Estimated in-memory size above which a Parquet table is streamed when ``streaming`` is None."""
    stream_batch_rows: int = 65536
    """Rows per record batch read from a streamed Parquet file; memory is bounded by a few of them."""


@dataclasses.dataclass
class TabularTable:
    """A validated table: ``numeric`` (N, n_num) float64 (NaN = missing), categorical keys as strings, and the row
    ``ids`` (the DataFrame's index; a CSV file's row numbers)."""

    numeric: np.ndarray
    categorical: list[pd.Series]
    labels: np.ndarray | None
    ids: pd.Index | None = None

    def __len__(self) -> int:
        return len(self.numeric)


class Tabular(Modality):
    """Mixed numeric/categorical tables; see the module docstring for the batch format."""

    name = "tabular"
    Options = TabularOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        **{method: {"input": "table_rows", "encoder": "table_transformer", "encoder_options": TABLE_ENCODER,
                    "views": TABLE_VIEWS} for method in ("simclr", "vicreg", "barlow_twins", "byol")},
        "mae": {"input": "table_rows", "encoder": "table_transformer", "encoder_options": TABLE_ENCODER,
                "views": [{"name": "random_mask", "ratio": 0.3, "value": float("nan")}]},
    }
    """The generic methods on tables: rows through ``table_rows`` into the row encoder; two views corrupted from the
    training marginals (SCARF's corruption) over random feature subsets whose hidden values become missing (NaN);
    ``mae`` hides 30 % of each row's values and reconstructs them."""

    def __init__(self, options: TabularOptions | None = None) -> None:
        super().__init__(options)
        self.numeric_sources: list[str] = []
        self.datetime_sources: list[str] = []
        self.categorical_columns: list[str] = []
        self.offset = np.zeros(0)
        self.scale = np.ones(0)
        self.vocabularies: list[list[str]] = []
        self.marginals: np.ndarray | None = None

    # -- reading -------------------------------------------------------------------------------
    def load(self, source: Any) -> TabularTable | ParquetStream:
        """A :class:`TabularTable` in memory, or a :class:`ParquetStream` for a streamed Parquet file or directory."""
        if streamed(source, self.options):
            return open_stream(self, Path(source))
        frame = self.with_missing_values(_read(source).rename(columns=str))
        _check_unique_columns(frame.columns, source)
        if frame.shape[0] == 0:
            raise EmptyDataError("The table has no rows. Pass at least one row.")
        label_column = self.options.label_column
        labels = None
        if label_column is not None:
            if label_column in frame.columns:
                labels = frame[label_column].to_numpy(copy=True)
            elif not self.fitted:
                raise InvalidDataError(
                    f"Label column {label_column!r} is not in the table.{did_you_mean(label_column, frame.columns)} "
                    f"Columns: {list(frame.columns)[:20]}."
                )
        if not self.fitted:
            self._choose_columns(frame)
        return self.table(frame, labels)

    def with_missing_values(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the values named in ``missing_values`` turned into NA."""
        return frame.mask(frame.isin(self.options.missing_values)) if self.options.missing_values else frame

    @property
    def source_columns(self) -> list[str]:
        """The table columns the run reads as features."""
        return [*self.numeric_sources, *self.datetime_sources, *self.categorical_columns]

    def table(self, frame: pd.DataFrame, labels: np.ndarray | None = None) -> TabularTable:
        """The feature columns of ``frame`` (types already chosen) as a validated :class:`TabularTable`."""
        needed = self.source_columns
        if not needed:
            raise EmptyDataError("The table has no feature columns (only the label column). Add feature columns.")
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise InvalidDataError(
                f"Columns {absent[:10]} ({len(absent)} in all) are not in the table; the run uses {len(needed)} "
                f"columns. The table has: {list(frame.columns)[:20]}."
            )
        numeric = [_numeric_values(frame[c], c) for c in self.numeric_sources]
        numeric += [part for c in self.datetime_sources for part in _datetime_parts(frame[c], c)]
        numeric_matrix = np.stack(numeric, axis=1) if numeric else np.zeros((len(frame), 0))
        categorical = [_category_keys(frame[c], c) for c in self.categorical_columns]
        return TabularTable(numeric_matrix, categorical, labels, ids=frame.index.copy())

    def _choose_columns(self, frame: pd.DataFrame) -> None:
        """Split the feature columns into numeric, datetime and categorical, from the options or dtypes."""
        options = self.options
        named = [*(options.numeric_columns or []), *(options.categorical_columns or [])]
        unknown = [c for c in named if c not in frame.columns]
        if unknown:
            raise InvalidDataError(
                f"Columns {unknown} named in data.numeric_columns / data.categorical_columns are not in the table."
                f"{did_you_mean(unknown[0], frame.columns)} Columns: {list(frame.columns)[:20]}."
            )
        both = set(options.numeric_columns or []) & set(options.categorical_columns or [])
        if both:
            raise InvalidDataError(f"Columns {sorted(both)} are named both numeric and categorical; pick one.")
        if options.label_column in named:
            raise InvalidDataError(f"The label column {options.label_column!r} cannot also be a feature column.")
        numeric, datetimes, categorical = [], [], []
        for column in (c for c in frame.columns if c != options.label_column):
            if column in (options.categorical_columns or []):
                categorical.append(column)
            elif column in (options.numeric_columns or []):
                (datetimes if _is_datetime(frame[column]) else numeric).append(column)
            else:
                kind = _infer_kind(frame[column], column)
                {"numeric": numeric, "datetime": datetimes, "categorical": categorical}[kind].append(column)
        self.numeric_sources, self.datetime_sources, self.categorical_columns = numeric, datetimes, categorical

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, raw: TabularTable | ParquetStream) -> None:
        """Scaling statistics and vocabularies from the training rows, one pass over them (a streamed
        table is read record batch by record batch)."""
        statistics = FitStatistics(len(self.numeric_names), len(self.categorical_columns))
        sample = RowSample()
        for chunk in (raw.tables(self) if isinstance(raw, ParquetStream) else [raw]):
            statistics.add(chunk)
            sample.add(chunk)
        if statistics.rows < 2:
            raise InvalidDataError(
                f"Fitting the tabular preprocessing needs at least 2 rows, got {statistics.rows}: scaling and "
                "self-supervised training compare rows. Pass more training rows."
            )
        names = [*self.numeric_names, *self.categorical_columns]
        empty = [names[j] for j in np.flatnonzero(statistics.observed == 0)]
        if empty:
            raise InvalidDataError(f"Columns {empty} are missing (NaN) in every training row; drop them.")
        self.offset, spread = statistics.offset_and_spread(self.options.scaling)
        self.scale = np.where(spread > 0, spread, 1.0)
        self.vocabularies = [sorted(keys) for keys in statistics.categories]
        self.fitted = True
        numeric, codes = self.transform(TabularTable(*sample.columns(), None))
        self.marginals = marginal_points(torch.cat([numeric.double(), codes.double()], dim=1).numpy())

    @property
    def numeric_names(self) -> list[str]:
        """Names of the numeric features, datetime parts included, in batch order."""
        return [*self.numeric_sources, *(f"{c}.{part}" for c in self.datetime_sources for part in DATETIME_PARTS)]

    def transform(self, raw: TabularTable) -> tuple[torch.Tensor, torch.Tensor]:
        """Scaled numeric (N, n_num) float32 with NaN where missing, and categorical codes (N, n_cat) int64."""
        if not self.fitted:
            raise InvalidDataError("The tabular preprocessing is not fitted yet: call fit(raw) on training rows first.")
        numeric = ((raw.numeric - self.offset) / self.scale).astype(np.float32)
        codes = np.zeros((len(raw), len(self.vocabularies)), dtype=np.int64)
        for j, (keys, vocabulary) in enumerate(zip(raw.categorical, self.vocabularies)):
            found = pd.Index(vocabulary, dtype="str").get_indexer(keys).astype(np.int64)
            missing = keys.isna().to_numpy()
            _check_not_all_unknown(self.categorical_columns[j], keys, vocabulary, found, missing)
            codes[:, j] = np.where(missing, MISSING_CODE, np.where(found < 0, UNKNOWN_CODE, found + FIRST_CATEGORY_CODE))
        return torch.from_numpy(numeric), torch.from_numpy(codes)

    def dataset(self, raw: TabularTable | ParquetStream) -> Dataset:
        return StreamedRows(self, raw) if isinstance(raw, ParquetStream) else TensorDataset(*self.transform(raw))

    def dataloader(self, dataset: Dataset, *, batch_size: int, shuffle: bool, drop_last: bool, num_workers: int, seed: int):
        """Streamed tables are batched by :class:`StreamedBatches` (whole record batches, no per-row Python)."""
        if isinstance(dataset, StreamedRows):
            return stream_loader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                                 num_workers=num_workers, seed=seed)
        return super().dataloader(dataset, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last,
                                  num_workers=num_workers, seed=seed)

    def collate(self, items: list[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        numeric, categorical = zip(*items)
        return {"numeric": torch.stack(numeric), "categorical": torch.stack(categorical)}

    def input_spec(self) -> dict[str, Any]:
        """``n_numeric``, the categorical cardinalities (missing and unknown tokens included) and ``marginals``,
        the training marginals as (P, n_num + n_cat) points, scaled numbers (NaN missing) then category codes
        (:mod:`multissl_tabular.marginals`; SCARF's corruption draws from them)."""
        spec: dict[str, Any] = {
            "n_numeric": len(self.offset),
            "categorical_cardinalities": [len(v) + FIRST_CATEGORY_CODE for v in self.vocabularies],
        }
        if self.marginals is not None:
            spec["marginals"] = self.marginals.tolist()
        return spec

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> PreprocessingState:
        return {
            "numeric_sources": self.numeric_sources,
            "datetime_sources": self.datetime_sources,
            "categorical_columns": self.categorical_columns,
            "offset": np.asarray(self.offset, dtype=np.float64),
            "scale": np.asarray(self.scale, dtype=np.float64),
            "vocabularies": self.vocabularies,
            **({} if self.marginals is None else {"marginals": np.asarray(self.marginals, dtype=np.float32)}),
        }

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.numeric_sources = list(state["numeric_sources"])
        self.datetime_sources = list(state["datetime_sources"])
        self.categorical_columns = list(state["categorical_columns"])
        self.offset = np.asarray(state["offset"], dtype=np.float64).reshape(-1)
        self.scale = np.asarray(state["scale"], dtype=np.float64).reshape(-1)
        self.vocabularies = [list(v) for v in state["vocabularies"]]
        marginals = state.get("marginals")  # absent from runs saved before the training marginals were kept
        self.marginals = None if marginals is None else np.asarray(marginals, dtype=np.float32).reshape(-1, len(self.offset) + len(self.vocabularies))
        self.fitted = True

    # -- extras --------------------------------------------------------------------------------
    def example(self) -> pd.DataFrame:
        """48 rows: two numeric columns (one with gaps), two categorical (one with gaps), a label."""
        rng = np.random.default_rng(0)
        group = rng.integers(0, 2, 48)
        income = rng.normal(30 + 20 * group, 5).round(1)
        income[::11] = np.nan
        city = pd.Series(rng.choice(["Lyon", "Oslo", "Pune"], 48), dtype="str")
        city[::13] = None
        return pd.DataFrame(
            {
                "age": rng.integers(18, 80, 48),
                "income": income,
                "city": city,
                "member": rng.random(48) < 0.3 + 0.4 * group,
                "label": group,
            }
        )

    def labels(self, raw: TabularTable | ParquetStream) -> np.ndarray | None:
        return raw.labels

    def sample_ids(self, raw: TabularTable | ParquetStream) -> pd.Index | None:
        """The DataFrame's index (a CSV file's row numbers, a Parquet file's stored index); ``None`` for a streamed
        Parquet file, whose rows are numbered from 0 in file order."""
        return None if isinstance(raw, ParquetStream) else raw.ids

    def baseline_features(self, raw: TabularTable | ParquetStream) -> np.ndarray | None:
        """Scaled numerics (missing -> 0) with missing indicators, and one-hot categorical codes; None for a
        streamed table (the raw baseline would hold the whole table in memory)."""
        if isinstance(raw, ParquetStream):
            return None
        numeric, codes = self.transform(raw)
        missing = torch.isnan(numeric)
        one_hot = [np.eye(len(v) + FIRST_CATEGORY_CODE, dtype=np.float32)[codes[:, j].numpy()] for j, v in enumerate(self.vocabularies)]
        parts = [torch.nan_to_num(numeric, nan=0.0).numpy(), missing.float().numpy()[:, missing.any(dim=0).numpy()], *one_hot]
        return np.concatenate(parts, axis=1)


UNKNOWN_WARNING_ROWS = 20
"""A categorical column with at least this many values, none of them seen in training, is warned about."""


def _read(source: Any) -> pd.DataFrame:
    """A DataFrame from a DataFrame (copied, never mutated), a ``.csv``/``.csv.gz``/``.parquet`` path or a directory
    of Parquet files."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, str | Path):
        path = Path(source)
        name = path.name.lower()
        if not path.exists():
            raise InvalidDataError(f"Table file {str(path)!r} does not exist.")
        if name.endswith((".csv", ".csv.gz")):
            return _read_csv(path)
        if is_parquet_source(path):
            return _read_parquet(path)
        raise InvalidDataError(
            f"Cannot read a table from {str(path)!r}: use a .csv, .csv.gz or .parquet file, or a directory of Parquet files."
        )
    raise InvalidDataError(f"tabular cannot read a {type(source).__name__}. Pass a pandas DataFrame or a CSV/Parquet path.")


def _read_parquet(path: Path) -> pd.DataFrame:
    """The Parquet file or directory at ``path``; a file pyarrow cannot read raises an error naming it."""
    import pyarrow

    dataset = parquet_dataset(path)  # names the file when its footer is unreadable
    try:
        return dataset.to_table().to_pandas()
    except (pyarrow.ArrowException, OSError) as exc:
        raise InvalidDataError(f"Cannot read {str(path)!r} as Parquet ({exc}). Write the file again.") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    """The CSV at ``path``; its first row must be a header of unique names (pandas would rename duplicates to
    ``a.1`` and read a header-less file's first data row as the column names)."""
    try:
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False).iloc[0].tolist()
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        raise InvalidDataError(f"Cannot read {str(path)!r} as CSV ({exc}). Check that the file is a complete CSV table.") from exc
    _check_unique_columns(header, path)
    numbers_as_names = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c]) and _is_number(c)]
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if numeric and len(numbers_as_names) == len(numeric) and header != [str(i) for i in range(len(header))]:
        raise InvalidDataError(
            f"{str(path)!r} looks header-less: its first row {header[:8]} holds numbers where the rows below hold "
            "numbers, so reading it as the header would lose a data row. Add a header row with the column names, or "
            "read it with pandas.read_csv(path, header=None, names=[...]) and pass the DataFrame."
        )
    return frame


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_unique_columns(columns: Any, source: Any) -> None:
    """Raise when two columns share a name: a column must be addressable by its name alone."""
    names = pd.Index(columns)
    duplicated = sorted(set(names[names.duplicated()].astype(str)))
    if duplicated:
        where = f" of {str(source)!r}" if isinstance(source, str | Path) else ""
        raise InvalidDataError(
            f"Column names {duplicated} appear more than once in the table{where}. Rename or drop the duplicates "
            "so that every column has its own name."
        )


def _check_not_all_unknown(column: str, keys: pd.Series, vocabulary: list[str], found: np.ndarray, missing: np.ndarray) -> None:
    """Raise when every value of a categorical column is unseen because its type changed (integer codes against a
    vocabulary of strings, or the reverse); warn when every value is unseen for another reason."""
    present = ~missing
    if not present.any() or (found[present] >= 0).any():
        return
    values = keys[present].unique()
    keys_numeric = all(_is_number(v) for v in values)
    vocabulary_numeric = all(_is_number(v) for v in vocabulary)
    if vocabulary and keys_numeric != vocabulary_numeric:
        kinds = ("numbers", "strings") if keys_numeric else ("strings", "numbers")
        raise InvalidDataError(
            f"Categorical column {column!r} holds {kinds[0]} here (e.g. {list(values[:3])}) but held {kinds[1]} in "
            f"training (e.g. {vocabulary[:3]}): every value would map to the unknown token. Pass the column as it was "
            "in training (decode integer codes back to their categories, or encode them the same way)."
        )
    if present.sum() >= UNKNOWN_WARNING_ROWS:
        warnings.warn(
            f"None of the {int(present.sum())} values of categorical column {column!r} was seen in training (e.g. "
            f"{list(values[:3])}; training had {vocabulary[:3]}): all map to the unknown token. Check the column.",
            UserWarning,
            stacklevel=3,
        )


def _is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def _infer_kind(series: pd.Series, column: str) -> str:
    """``"numeric"``, ``"datetime"`` or ``"categorical"`` from the dtype; other dtypes are an error."""
    if pd.api.types.is_bool_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_complex_dtype(series):
        return "numeric"
    if _is_datetime(series):
        return "datetime"
    if pd.api.types.is_string_dtype(series) or series.dtype == object:
        return "categorical"  # an object column mixing value types is refused when it is read
    raise InvalidDataError(
        f"Column {column!r} has dtype {series.dtype}, which tabular does not read. Convert it to numbers or "
        "strings, or drop it."
    )


def _check_single_type(series: pd.Series, column: str) -> None:
    """Raise when an object column mixes value types (e.g. numbers and strings)."""
    kinds = {_value_kind(v) for v in series.dropna().unique()}
    if len(kinds) > 1:
        raise InvalidDataError(
            f"Column {column!r} mixes value types {sorted(kinds)}. Convert it to one type (e.g. "
            f"df[{column!r}].astype(str) for a categorical column) or name it in data.numeric_columns after cleaning."
        )


def _value_kind(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | float | np.number):
        return "number"
    return type(value).__name__


def _numeric_values(series: pd.Series, column: str) -> np.ndarray:
    """Float64 values (NaN = missing); non-numbers and infinite values are errors."""
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    except (ValueError, TypeError) as exc:
        raise InvalidDataError(
            f"Column {column!r} is numeric in this run but holds values that are not numbers ({exc}). "
            "Clean the column, or treat it as categorical (data.categorical_columns)."
        ) from exc
    infinite = np.isinf(values)
    if infinite.any():
        raise NonFiniteDataError(
            f"Column {column!r} holds {int(infinite.sum())} infinite values (first rows: "
            f"{np.flatnonzero(infinite)[:5].tolist()}). Replace them with NaN (missing) or a finite value."
        )
    return values


def _datetime_parts(series: pd.Series, column: str) -> list[np.ndarray]:
    """Year, month and day of a datetime column as float64 (NaN where missing)."""
    if not _is_datetime(series):
        raise InvalidDataError(f"Column {column!r} was a datetime column in training but has dtype {series.dtype} here.")
    return [getattr(series.dt, part).to_numpy(dtype=np.float64, na_value=np.nan) for part in DATETIME_PARTS]


def _category_keys(series: pd.Series, column: str) -> pd.Series:
    """The values as canonical strings (``1``, ``1.0`` and ``True`` stay distinct from ``"1.5"``), NA where missing."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if series.dtype == object:
        _check_single_type(series, column)
    uniques = series.dropna().unique()
    mapping = {value: _canonical(value) for value in uniques}
    return series.map(mapping).astype("str").where(series.notna())


def _canonical(value: Any) -> str:
    """Integral floats as integers, so an int column read as float (because of NaN) keeps its keys."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)
