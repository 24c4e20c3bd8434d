"""The multi-temporal relation graph SEENet reads: locations with coordinates, typed relations per time
slot, train/valid/test triples and grid cells.

A relation is a pair (kind, time slot), e.g. ``competitive`` in the ``morning``; its id is
``kind * S + slot`` with ``S`` slots, so ``relation % S`` is the slot and ``relation // S`` the kind.
Slots are cyclic and in temporal order (the slot after the last is the first): SEENet's inter-time
propagation and evolving constraint read neighbouring slots.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError

SPLITS = ("train", "valid", "test")


@dataclasses.dataclass(eq=False)
class TemporalRelations:
    """Locations, their relations per time slot and the grid cells over them.

    ``coords`` is (N, 2) latitude, longitude in degrees; ``train``/``valid``/``test`` are (E, 3) int64
    (head, relation, tail); ``cell_of`` (N,) gives each location's grid cell (an index into ``cells``,
    (C, 2) integer cell coordinates) or -1 for a location in no cell.
    """

    locations: tuple[str, ...]
    coords: np.ndarray
    kinds: tuple[str, ...]
    slots: tuple[str, ...]
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    cells: np.ndarray
    cell_of: np.ndarray

    def __post_init__(self) -> None:
        self.locations = tuple(self.locations)
        self.kinds = tuple(self.kinds)
        self.slots = tuple(self.slots)
        self.coords = np.asarray(self.coords, dtype=np.float64)
        for split in SPLITS:
            setattr(self, split, np.asarray(getattr(self, split), dtype=np.int64).reshape(-1, 3))
        self.cells = np.asarray(self.cells, dtype=np.int64).reshape(-1, 2)
        self.cell_of = np.asarray(self.cell_of, dtype=np.int64)
        self.validate()

    @property
    def num_locations(self) -> int:
        return len(self.locations)

    @property
    def num_relations(self) -> int:
        return len(self.kinds) * len(self.slots)

    @property
    def relation_names(self) -> list[str]:
        """``kind_slot`` per relation id."""
        return [f"{kind}_{slot}" for kind in self.kinds for slot in self.slots]

    def slot_of(self, relations: np.ndarray) -> np.ndarray:
        return np.asarray(relations) % len(self.slots)

    def kind_of(self, relations: np.ndarray) -> np.ndarray:
        return np.asarray(relations) // len(self.slots)

    def validate(self) -> None:
        """Raise ``multissl.errors`` on anything SEENet cannot train on, saying what to fix."""
        n, r = self.num_locations, self.num_relations
        if n == 0:
            raise EmptyDataError("There are no locations; pass a coordinates table with one row per location.")
        if len(set(self.locations)) != n:
            raise InvalidDataError("Location names must be unique; the coordinates table lists some location twice.")
        if not self.kinds or not self.slots:
            raise EmptyDataError(f"SEENet needs at least one relation kind and one time slot, got kinds {self.kinds}, slots {self.slots}.")
        if self.coords.shape != (n, 2):
            raise InvalidDataError(f"coords must be (locations, 2) = ({n}, 2) latitude/longitude, got {self.coords.shape}.")
        bad = np.flatnonzero(~np.isfinite(self.coords).all(axis=1))
        if len(bad):
            first = [self.locations[i] for i in bad[:5]]
            raise NonFiniteDataError(f"Coordinates of {len(bad)} locations are NaN or infinite (first: {first}); fix or drop them.")
        if len(self.train) == 0:
            raise EmptyDataError("There are no training triples; SEENet needs relations to learn from.")
        for split in SPLITS:
            triples = getattr(self, split)
            if len(triples) and (triples[:, [0, 2]].min() < 0 or triples[:, [0, 2]].max() >= n):
                raise InvalidDataError(f"{split} triples hold location ids outside 0..{n - 1}.")
            if len(triples) and (triples[:, 1].min() < 0 or triples[:, 1].max() >= r):
                raise InvalidDataError(f"{split} triples hold relation ids outside 0..{r - 1}.")
            to_itself = triples[:, 0] == triples[:, 2] if len(triples) else np.zeros(0, dtype=bool)
            if to_itself.any():
                first = self.locations[int(triples[to_itself][0, 0])]
                raise InvalidDataError(
                    f"{int(to_itself.sum())} {split} triples relate a location to itself (first: {first!r}); relations hold "
                    "between two distinct locations, so drop those rows."
                )
        trained_slots = set(self.slot_of(self.train[:, 1]).tolist())
        for split in ("valid", "test", "train"):  # the most specific message first
            missing = sorted(set(self.slot_of(getattr(self, split)[:, 1]).tolist()) - trained_slots)
            if split == "train":
                missing = sorted(set(range(len(self.slots))) - trained_slots)
            if missing:
                names = [self.slots[s] for s in missing]
                raise InvalidDataError(
                    f"Time slots {names} have no training triples{'' if split == 'train' else f' but appear in {split}'}; "
                    "SEENet learns one embedding per slot from its training relations. Add training relations for them "
                    "or leave those slots out."
                )
        if len(self.cells) == 0 or not (self.cell_of >= 0).any():
            raise EmptyDataError(
                "The grid is empty: no grid cell holds a location. The global SE-SSL task contrasts locations with their "
                "cell; use a larger grid cell size (e.g. grid_size_m=300 for a city) or give a grid file with cells."
            )
        if self.cell_of.shape != (n,) or self.cell_of.max() >= len(self.cells) or self.cell_of.min() < -1:
            raise InvalidDataError(f"cell_of must be (locations,) = ({n},) cell indices into cells, or -1 for none.")
