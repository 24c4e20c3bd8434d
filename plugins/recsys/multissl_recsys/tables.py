"""The raw container of the ``interactions`` modality and the sources it is read from.

An interactions table has one row per (user, item) event, with optional ``rating`` and
``timestamp`` columns; item and user feature tables have one row per item (user) and one column
per feature. Ids are compared as strings, so ``1`` and ``"1"`` are the same user; integer ids that
arrive as floats (a column pandas widened to float) are read as integers, so ``1.0`` is user ``"1"``
too, and a fractional id is an error.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from multissl.errors import EmptyDataError, InvalidDataError

USER, ITEM, RATING, TIMESTAMP = "user", "item", "rating", "timestamp"
"""Column names of the normalised interactions tables."""

SOURCE_KEYS = ("interactions", "train", "test", "item_features", "user_features")


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
        out[column] = id_strings(out[column], f"{what} column {column!r}")
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
