"""Readers of multi-temporal relation data: the SEENet (Tokyo) directory format and plain CSV tables.

Tokyo format (the SEENet reference datasets), a directory with tab-separated files:
``entities.dict`` (id, location), ``relations.dict`` (id, ``kind_slot``), ``coords.dict`` (location,
latitude, longitude), ``grids_<metres>.dict`` (``i,j``, locations of the cell...) and
``train.txt``/``valid.txt``/``test.txt`` (head, relation, tail). Slots are ordered as the relation ids
list them (Tokyo: morning, midday, night, late-night).

CSV format, for a city of your own: triples tables with columns ``head, relation, time_slot, tail``
(``relation`` is the kind, e.g. ``competitive``) and a coordinates table with columns
``location, latitude, longitude``; the grid is computed from the coordinates (:mod:`.grid`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, did_you_mean
from multissl_graph.seenet.data import SPLITS, TemporalRelations
from multissl_graph.seenet.grid import grid_cells

TRIPLE_COLUMNS = ("head", "relation", "time_slot", "tail")
COORD_COLUMNS = ("location", "latitude", "longitude")


def read_tokyo_format(directory: str | Path, *, grid_size_m: int = 300) -> TemporalRelations:
    """The dataset in ``directory`` (SEENet's format). The grid comes from ``grids_<grid_size_m>.dict`` when
    present, else it is computed from the coordinates with cells of ``grid_size_m`` metres."""
    root = Path(directory)
    if not root.is_dir():
        raise InvalidDataError(f"{root} is not a directory; the SEENet format is a folder with entities.dict, relations.dict, ...")
    entities = _table(root / "entities.dict", 2)
    relation_table = _table(root / "relations.dict", 2)
    coord_table = _table(root / "coords.dict", 3)
    order = np.argsort(entities[0].astype(np.int64).to_numpy(), kind="stable")
    locations = entities[1].to_numpy()[order].tolist()
    relation_names = relation_table[1].to_numpy()[np.argsort(relation_table[0].astype(np.int64).to_numpy(), kind="stable")]
    kinds, slots, relation_id = _parse_relation_names(relation_names.tolist())
    coords = _coordinates(locations, coord_table[0].tolist(), coord_table[[1, 2]].astype(np.float64).to_numpy(), "coords.dict")
    index = {name: i for i, name in enumerate(locations)}
    splits = {}
    for split in SPLITS:
        table = _table(root / f"{split}.txt", 3, allow_empty=split != "train")
        relations = table[1].map(relation_id)
        if relations.isna().any():
            unknown = sorted(set(table[1][relations.isna()]))
            raise InvalidDataError(
                f"{split}.txt uses unknown relation names {unknown[:5]}{did_you_mean(unknown[0], relation_id)}; "
                f"relations.dict defines {sorted(relation_id)}. Add them to relations.dict or fix the triples."
            )
        splits[split] = _triples(table[0], relations.astype(np.int64), table[2], index, f"{split}.txt")
    grid_file = root / f"grids_{grid_size_m}.dict"
    if grid_file.is_file():
        cells, cell_of = _grid_file(grid_file, index)
    else:
        cells, cell_of = grid_cells(coords, grid_size_m)
    return TemporalRelations(locations, coords, kinds, slots, splits["train"], splits["valid"], splits["test"], cells, cell_of)


def read_relation_csv(
    train: Any,
    valid: Any,
    test: Any,
    coords: Any,
    *,
    slots: list[str] | None = None,
    kinds: list[str] | None = None,
    grid_size_m: float = 300.0,
) -> TemporalRelations:
    """Triples tables (paths or DataFrames; columns ``head, relation, time_slot, tail``) and a coordinates
    table (``location, latitude, longitude``). ``slots`` gives the time slots in temporal order (needed
    when they are names; numbers are sorted); ``kinds`` lists the allowed relation kinds (default: those
    in ``train``)."""
    coord_frame = _frame(coords, COORD_COLUMNS, "coordinates")
    locations = coord_frame["location"].astype(str).tolist()
    coord_values = coord_frame[["latitude", "longitude"]].to_numpy(dtype=np.float64, copy=True)
    frames = {split: _frame(source, TRIPLE_COLUMNS, split, allow_empty=split != "train") for split, source in
              zip(SPLITS, (train, valid, test), strict=True)}
    for frame in frames.values():
        for column in TRIPLE_COLUMNS:
            frame[column] = frame[column].astype(str)
    slots = _slot_order(frames["train"]["time_slot"], slots)
    kinds = sorted(set(frames["train"]["relation"])) if kinds is None else [str(k) for k in kinds]
    index = {name: i for i, name in enumerate(locations)}
    if len(index) != len(locations):
        duplicated = sorted(pd.Series(locations)[pd.Series(locations).duplicated()].unique())[:5]
        raise InvalidDataError(f"The coordinates table lists locations {duplicated} more than once; keep one row each.")
    triples = {}
    for split, frame in frames.items():
        for column, allowed, what in (("relation", kinds, "relation names"), ("time_slot", slots, "time slots")):
            unknown = sorted(set(frame[column]) - set(allowed))
            if unknown:
                raise InvalidDataError(
                    f"{split} uses unknown {what} {unknown[:5]}{did_you_mean(unknown[0], allowed)}; the known ones are "
                    f"{list(allowed)}. Fix the triples or pass {'kinds' if column == 'relation' else 'slots'}=[...]."
                )
        relation = frame["relation"].map({k: i for i, k in enumerate(kinds)}).to_numpy() * len(slots)
        relation = relation + frame["time_slot"].map({s: i for i, s in enumerate(slots)}).to_numpy()
        triples[split] = _triples(frame["head"], pd.Series(relation), frame["tail"], index, split)
    cells, cell_of = grid_cells(_finite(coord_values, locations), grid_size_m)
    return TemporalRelations(locations, coord_values, kinds, slots, triples["train"], triples["valid"], triples["test"], cells, cell_of)


def _table(path: Path, columns: int, allow_empty: bool = False) -> pd.DataFrame:
    if not path.is_file():
        raise InvalidDataError(f"{path} is missing; the SEENet format needs it (see multissl_graph.seenet.loaders).")
    try:
        table = pd.read_csv(path, sep="\t", header=None, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        table = pd.DataFrame(columns=range(columns), dtype=str)
    if table.shape[1] != columns:
        raise InvalidDataError(f"{path} has {table.shape[1]} tab-separated columns; expected {columns}.")
    if len(table) == 0 and not allow_empty:
        raise EmptyDataError(f"{path} is empty.")
    return table


def _frame(source: Any, columns: tuple[str, ...], what: str, allow_empty: bool = False) -> pd.DataFrame:
    if source is None and allow_empty:
        return pd.DataFrame(columns=list(columns))
    frame = source.copy() if isinstance(source, pd.DataFrame) else pd.read_csv(source) if isinstance(source, str | Path) else None
    if frame is None:
        raise InvalidDataError(f"{what} must be a CSV path or a pandas DataFrame, got {type(source).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidDataError(f"The {what} table lacks columns {missing}; it needs {list(columns)} (it has {list(frame.columns)}).")
    if len(frame) == 0 and not allow_empty:
        raise EmptyDataError(f"The {what} table has no rows.")
    return frame


def _parse_relation_names(names: list[str]) -> tuple[list[str], list[str], dict[str, int]]:
    """Kinds and slots (in first-seen order) of ``kind_slot`` names, and each name's id ``kind * S + slot``."""
    pairs = []
    for name in names:
        kind, sep, slot = name.partition("_")
        if not sep or not kind or not slot:
            raise InvalidDataError(f"Relation name {name!r} is not of the form kind_slot (e.g. competitive_morning).")
        pairs.append((kind, slot))
    kinds = list(dict.fromkeys(k for k, _ in pairs))
    slots = list(dict.fromkeys(s for _, s in pairs))
    return kinds, slots, {name: kinds.index(k) * len(slots) + slots.index(s) for name, (k, s) in zip(names, pairs, strict=True)}


def _slot_order(train_slots: pd.Series, slots: list[str] | None) -> list[str]:
    if slots is not None:
        return [str(s) for s in slots]
    values = sorted(set(train_slots))
    try:
        return sorted(values, key=float)
    except ValueError:
        raise InvalidDataError(
            f"The time slots {values} are names, whose temporal order cannot be guessed; pass slots=[...] in "
            "temporal order (e.g. ['morning', 'midday', 'night', 'late-night'])."
        ) from None


def _coordinates(locations: list[str], named: list[str], values: np.ndarray, what: str) -> np.ndarray:
    by_name = dict(zip(named, range(len(named)), strict=True))
    missing = [name for name in locations if name not in by_name]
    if missing:
        raise InvalidDataError(f"{len(missing)} locations have no coordinates in {what} (first: {missing[:5]}); add them.")
    return _finite(values[[by_name[name] for name in locations]], locations)


def _finite(coords: np.ndarray, locations: list[str]) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(coords).all(axis=1))
    if len(bad):
        raise NonFiniteDataError(f"{len(bad)} locations have missing or non-finite coordinates (first: {[locations[i] for i in bad[:5]]}).")
    return coords


def _triples(heads: pd.Series, relations: pd.Series, tails: pd.Series, index: dict[str, int], what: str) -> np.ndarray:
    ids = []
    for column in (heads, tails):
        mapped = column.map(index)
        if mapped.isna().any():
            unknown = sorted(set(column[mapped.isna()]))
            raise InvalidDataError(
                f"{what} has {int(mapped.isna().sum())} triples whose location has no coordinates (first: {unknown[:5]}); "
                "add those locations to the coordinates table or drop the triples."
            )
        ids.append(mapped.to_numpy(dtype=np.int64))
    return np.stack([ids[0], np.asarray(relations, dtype=np.int64), ids[1]], axis=1)


def _grid_file(path: Path, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    cells, cell_of = [], np.full(len(index), -1, dtype=np.int64)
    with open(path) as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if not fields[0]:
                continue
            try:
                key = [int(v) for v in fields[0].split(",")]
            except ValueError:
                raise InvalidDataError(f"{path}: cell key {fields[0]!r} is not 'i,j' integers.") from None
            unknown = [name for name in fields[1:] if name not in index]
            if unknown:
                raise InvalidDataError(f"{path}: cell {fields[0]} lists locations without coordinates {unknown[:5]}.")
            cell_of[[index[name] for name in fields[1:]]] = len(cells)
            cells.append(key)
    if not cells:
        raise EmptyDataError(f"The grid file {path} holds no cells; delete it to compute the grid from the coordinates.")
    return np.asarray(cells, dtype=np.int64), cell_of
