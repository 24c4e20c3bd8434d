"""The raw container of the ``interactions`` modality and the sources it is read from.

An interactions table has one row per (user, item) event, with optional ``rating`` and
``timestamp`` columns; item and user feature tables have one row per item (user) and one column
per feature. Ids are compared as strings, so ``1`` and ``"1"`` are the same user; integer ids that
arrive as floats (a column pandas widened to float) are read as integers, so ``1.0`` is user ``"1"``
too, and a fractional id is an error. Interaction ids are held as categoricals (one string per distinct id, an
integer code per row), so a log of tens of millions of rows holds no string per row.

A ``scipy.sparse`` (users × items) matrix is a source too (:func:`sparse_interactions`): every stored non-zero
entry is an interaction (its value the ``rating``), row ``r`` is user ``user_ids[r]`` and column ``c`` item
``item_ids[c]`` (``"r"`` and ``"c"`` without ids), and every row and column is in the catalogue, interactions
or not, so the modality's user (item) index ``r`` is the matrix's row (column) ``r``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from multissl.errors import EmptyDataError, InvalidDataError

USER, ITEM, RATING, TIMESTAMP = "user", "item", "rating", "timestamp"
"""Column names of the normalised interactions tables."""

SOURCE_KEYS = ("interactions", "train", "test", "item_features", "user_features", "user_ids", "item_ids")


@dataclasses.dataclass
class InteractionTables:
    """Interactions split into ``train`` and ``test`` (``None`` when not split) plus feature tables.

    Interaction frames hold the columns ``user``, ``item`` (strings) and, when known, ``rating`` and
    ``timestamp``; feature frames are indexed by the user (item) id as a string.
    """

    train: pd.DataFrame
    test: pd.DataFrame | None = None
    item_features: pd.DataFrame | None = None
    user_features: pd.DataFrame | None = None
    user_catalogue: list[str] | None = None
    """Every user id in the order of its index (a sparse matrix's rows); ``None``: the ids of the interactions."""
    item_catalogue: list[str] | None = None

    def all_interactions(self) -> pd.DataFrame:
        """Train and test rows together (the rows whose ids the modality maps)."""
        return self.train if self.test is None else pd.concat([self.train, self.test], ignore_index=True)


def read_table(source: Any, what: str) -> pd.DataFrame:
    """A DataFrame from a DataFrame (copied), a CSV/TSV/Parquet path; anything else is an error."""
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise InvalidDataError(f"{what}: no file at {path}. Pass an existing CSV, TSV or Parquet file, or a DataFrame.")
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, sep="\t" if path.suffix in (".tsv", ".tab") else ",")
    raise InvalidDataError(f"{what} must be a pandas DataFrame or a path to a CSV/TSV/Parquet file, got {type(source).__name__}.")


def normalise_interactions(
    frame: pd.DataFrame, what: str, *, user_column: str, item_column: str, rating_column: str | None, timestamp_column: str | None
) -> pd.DataFrame:
    """The interactions with columns renamed to ``user``/``item``/``rating``/``timestamp`` and ids as strings."""
    columns = {user_column: USER, item_column: ITEM}
    if rating_column is not None:
        columns[rating_column] = RATING
    if timestamp_column is not None:
        columns[timestamp_column] = TIMESTAMP
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidDataError(
            f"{what} lacks the columns {missing}; it has {list(frame.columns)}. Set data.user_column / item_column / "
            "rating_column / timestamp_column to the names your table uses."
        )
    if len(frame) == 0:
        raise EmptyDataError(f"{what} has no rows; pass at least one interaction.")
    out = frame[list(columns)].rename(columns=columns)
    null_ids = out[[USER, ITEM]].isna().any(axis=1)
    if null_ids.any():
        raise InvalidDataError(f"{what} has {int(null_ids.sum())} rows with a missing user or item id; drop or fill them first.")
    for column in (USER, ITEM):
        out[column] = id_categories(out[column], f"{what} column {column!r}")
    for column in (RATING, TIMESTAMP):
        if column in out and not pd.api.types.is_numeric_dtype(out[column]):
            if column == TIMESTAMP:
                out[column] = _timestamps(out[column], what)
            else:
                raise InvalidDataError(f"{what}: the rating column must be numeric, got {out[column].dtype}.")
        if column in out and out[column].isna().any():
            raise InvalidDataError(f"{what}: {int(out[column].isna().sum())} {column} values are missing; fill or drop them.")
    return out.reset_index(drop=True)


def normalise_features(frame: pd.DataFrame, what: str, id_column: str) -> pd.DataFrame:
    """A feature table indexed by the id as a string; at least one feature column and one row."""
    if id_column not in frame.columns:
        raise InvalidDataError(f"{what} lacks the id column {id_column!r}; it has {list(frame.columns)}.")
    if len(frame) == 0 or len(frame.columns) < 2:
        raise EmptyDataError(
            f"{what} is empty ({len(frame)} rows, feature columns {[c for c in frame.columns if c != id_column]}). "
            "Pass a table with an id column and at least one feature column, or leave it out."
        )
    out = frame.copy()
    if out[id_column].isna().any():
        raise InvalidDataError(f"{what} has {int(out[id_column].isna().sum())} rows without an id; drop or fill them first.")
    out[id_column] = id_strings(out[id_column], f"{what} column {id_column!r}")
    duplicated = out[id_column].duplicated()
    if duplicated.any():
        raise InvalidDataError(
            f"{what} has {int(duplicated.sum())} repeated ids (first: {out[id_column][duplicated].iloc[0]!r}); "
            "give one row per id, with multi-valued features joined by the separator (e.g. 'Action|Comedy')."
        )
    return out.set_index(id_column)


def sparse_interactions(matrix: Any, what: str, user_ids: Any = None, item_ids: Any = None) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The interactions of a (users × items) ``scipy.sparse`` matrix (its stored non-zero entries, the value as
    ``rating``) with categorical ids, and the user and item catalogues (``user_ids`` / ``item_ids``, or the row and
    column numbers as strings)."""
    coo = sp.coo_array(matrix)
    catalogues = []
    for ids, size, key, unit in ((user_ids, coo.shape[0], "user_ids", "row"), (item_ids, coo.shape[1], "item_ids", "column")):
        names = pd.Series(np.arange(size) if ids is None else list(ids))
        if len(names) != size:
            raise InvalidDataError(f"{what}: the matrix has shape {coo.shape} but {key} has {len(names)} ids; pass one per {unit}.")
        names = id_strings(names, f"{what} {key}")
        if names.duplicated().any():
            raise InvalidDataError(f"{what}: {key} repeats {names[names.duplicated()].iloc[0]!r}; pass distinct ids.")
        catalogues.append(names.tolist())
    stored = coo.data != 0
    if not stored.any():
        raise EmptyDataError(f"{what}: the sparse matrix has no non-zero entry; pass at least one interaction.")
    frame = pd.DataFrame({
        USER: pd.Categorical.from_codes(coo.row[stored], categories=catalogues[0], validate=False),
        ITEM: pd.Categorical.from_codes(coo.col[stored], categories=catalogues[1], validate=False),
        RATING: coo.data[stored].astype(np.float64),
    })
    return frame, catalogues[0], catalogues[1]


def id_categories(ids: pd.Series, what: str) -> pd.Series:
    """:func:`id_strings` as a categorical: each distinct id converted once, an integer code per row."""
    codes, distinct = pd.factorize(ids)
    strings = id_strings(pd.Series(distinct), what)
    string_codes, categories = pd.factorize(strings)  # 1 and "1" are one id
    return pd.Series(pd.Categorical.from_codes(string_codes[codes], categories=categories, validate=False), index=ids.index)


def id_strings(ids: pd.Series, what: str) -> pd.Series:
    """Ids as strings; float ids holding whole numbers become integers first (``1.0`` -> ``"1"``)."""
    if pd.api.types.is_bool_dtype(ids):
        raise InvalidDataError(f"{what} holds booleans; ids must be integers or strings.")
    if pd.api.types.is_float_dtype(ids):
        fractional = ids[ids != ids.round()]
        if len(fractional):
            raise InvalidDataError(
                f"{what} holds {len(fractional)} fractional ids (first: {fractional.iloc[0]!r}); ids must be integers or strings."
            )
        ids = ids.astype("int64")
    return ids.astype(str)


def _timestamps(values: pd.Series, what: str) -> pd.Series:
    """Text or datetime timestamps as int64 ticks since the epoch (only their order is used); an unparsable value is
    an error naming it."""
    if values.isna().any():
        raise InvalidDataError(f"{what}: {int(values.isna().sum())} timestamp values are missing; fill or drop them.")
    try:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidDataError(f"{what}: the timestamp column cannot be read as dates ({exc}); pass numbers or ISO dates.") from exc
    bad = parsed.isna()
    if bad.any():
        raise InvalidDataError(
            f"{what}: {int(bad.sum())} timestamps are not dates (first: {values[bad].iloc[0]!r}); pass numbers (e.g. Unix "
            "seconds) or dates pandas reads (ISO 8601), or fix those rows."
        )
    return parsed.astype("int64")
