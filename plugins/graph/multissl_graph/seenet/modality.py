"""The ``temporal_relations`` modality: a multi-temporal relation graph between locations, trained full batch.

Accepts a :class:`~multissl_graph.seenet.data.TemporalRelations`, a directory in SEENet's (Tokyo) format,
or a dict ``{"train", "valid", "test", "coords"}`` of CSV paths or DataFrames (plus optional ``slots``, ``kinds``)
(:func:`~multissl_graph.seenet.loaders.read_relation_csv`). ``fit`` learns the distance bins (quantiles
of the training relations' distances). One batch holds the whole graph with everything precomputed once:
training triples and their distance bins, the cached 2-hop paths, the grid cells and their distant-cell
negatives, the evolving-constraint pairs, and the valid/test triples for ranking.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from multissl.errors import InvalidDataError, RecipeError
from multissl.modalities.base import Modality, PreprocessingState
from multissl_graph.modality import OneGraph
from multissl_graph.seenet.data import TemporalRelations
from multissl_graph.seenet.distance import pair_distances, quantile_boundaries
from multissl_graph.seenet.evolving_constraint import evolving_pairs
from multissl_graph.seenet.grid import negative_candidates, project_to_metres
from multissl_graph.seenet.loaders import read_relation_csv, read_tokyo_format
from multissl_graph.seenet.paths import cached_two_hop_paths, path_aggregation_index


@dataclasses.dataclass
class TemporalRelationsOptions:
    """Recipe keys under ``data`` for ``temporal_relations``; defaults follow SEENet on Tokyo."""

    grid_size_m: int = 300
    """Grid cell side in metres (Tokyo format: reads ``grids_<grid_size_m>.dict`` when present)."""
    distance_bins: int = 40
    """Quantile bins of the adaptive distance encoder."""
    min_paths: int = 2
    """Keep a 2-hop (source, target) pair of a path type when at least this many middles join them."""
    negative_hop: int = 8
    """Global-task negatives come from cells at Manhattan distance hop < d < hop + 4 (in cells)."""
    slots: list[str] | None = None
    """CSV input: time slots in temporal order (needed when they are names)."""
    kinds: list[str] | None = None
    """CSV input: the allowed relation kinds (default: those in the training triples)."""
    path_cache: str | None = None
    """Folder caching the 2-hop paths (default: ~/.cache/multissl/seenet_paths)."""
    loader: str = "full"
    """``full`` only: SEENet trains on the whole graph at every step (no neighbour mini-batches)."""


class TemporalRelationsModality(Modality):
    """Locations related per time slot; ``embed`` gives one row per location (its S slot embeddings concatenated)."""

    name = "temporal_relations"
    Options = TemporalRelationsOptions

    def __init__(self, options: TemporalRelationsOptions | None = None) -> None:
        super().__init__(options)
        if self.options.distance_bins < 2 or self.options.min_paths < 1 or self.options.grid_size_m <= 0:
            raise RecipeError("temporal_relations needs distance_bins >= 2, min_paths >= 1 and grid_size_m > 0.")
        if self.options.loader != "full":
            raise RecipeError(
                f"temporal_relations (SEENet) has no {self.options.loader!r} loader: every step reads the 2-hop relation "
                "paths of all locations in each time slot and the summaries of all grid cells (spatial infomax), so it "
                "trains on the whole graph only. Remove data.loader, or use the graph modality for mini-batches."
            )
        self.boundaries = np.zeros(0)
        self.locations: list[str] = []
        self.kinds: list[str] = []
        self.slots: list[str] = []

    def load(self, source: Any) -> TemporalRelations:
        options = self.options
        if isinstance(source, TemporalRelations):
            data = source
        elif isinstance(source, str | Path):
            data = read_tokyo_format(source, grid_size_m=options.grid_size_m)
        elif isinstance(source, dict) and {"train", "coords"} <= set(source):
            unknown = set(source) - {"train", "valid", "test", "coords", "slots", "kinds"}
            if unknown:
                raise InvalidDataError(
                    f"Unknown keys {sorted(unknown)}; temporal_relations reads train, valid, test, coords (and slots, kinds)."
                )
            data = read_relation_csv(
                source["train"], source.get("valid"), source.get("test"), source["coords"],
                slots=source.get("slots", options.slots), kinds=source.get("kinds", options.kinds), grid_size_m=options.grid_size_m,
            )
        else:
            raise InvalidDataError(
                "temporal_relations expects a TemporalRelations, a directory in SEENet's format, or a dict "
                f"{{'train', 'valid', 'test', 'coords'}} of CSV paths/DataFrames; got {type(source).__name__}."
            )
        if self.fitted and (list(data.locations) != self.locations or list(data.kinds) != self.kinds or list(data.slots) != self.slots):
            raise InvalidDataError(
                "These data have other locations, relation kinds or slots than the run was trained on; SEENet learns "
                "one embedding per known location, so embed the data it was trained on (or train a new run)."
            )
        return data

    def fit(self, raw: TemporalRelations) -> None:
        if len(raw.valid) == 0:
            raise InvalidDataError(
                "There are no validation triples; SEENet keeps the checkpoint of best validation MRR@10, so give a valid "
                "split (e.g. 10% of the triples) to train on."
            )
        distances = pair_distances(raw.coords, raw.train[:, [0, 2]])
        self.boundaries = quantile_boundaries(distances, self.options.distance_bins)
        self.locations, self.kinds, self.slots = list(raw.locations), list(raw.kinds), list(raw.slots)
        self.fitted = True

    def transform(self, raw: TemporalRelations) -> dict[str, torch.Tensor]:
        """The batch dict SEENet reads (see the module docstring)."""
        if not self.fitted:
            raise InvalidDataError("The temporal_relations preprocessing is not fitted yet: call fit(raw) on training data first.")
        num_slots, num_kinds = len(raw.slots), len(raw.kinds)
        xy = project_to_metres(raw.coords)
        paths = cached_two_hop_paths(raw.train, num_slots, num_kinds, self.options.min_paths, self.options.path_cache)
        paths = path_aggregation_index(paths, num_kinds * num_kinds, raw.num_locations)
        path_distance = np.linalg.norm(xy[paths["path_source"]] - xy[paths["path_target"]], axis=1)
        cell_members = np.argsort(np.where(raw.cell_of >= 0, raw.cell_of, len(raw.cells)), kind="stable")
        cell_members = cell_members[: int((raw.cell_of >= 0).sum())]
        cell_pointer = np.concatenate([[0], np.cumsum(np.bincount(raw.cell_of[raw.cell_of >= 0], minlength=len(raw.cells)))])
        negative_pointer, negative_locations = negative_candidates(raw.cells, raw.cell_of, self.options.negative_hop)
        evo = evolving_pairs(raw.train, num_slots)
        graph = {
            "train": raw.train, "valid": raw.valid, "test": raw.test,
            "train_bins": self._bins(np.linalg.norm(xy[raw.train[:, 0]] - xy[raw.train[:, 2]], axis=1)),
            "xy": xy.astype(np.float32), "boundaries": self.boundaries.astype(np.float32),
            **paths, "path_bins": self._bins(path_distance),
            "cell_pointer": cell_pointer, "cell_members": cell_members,
            "negative_pointer": negative_pointer, "negative_locations": negative_locations,
            **{f"evo_{field}": values for field, values in evo.items()},
        }
        return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in graph.items()}

    def _bins(self, distances: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.boundaries, distances, side="left").astype(np.int64)  # == torch.bucketize

    def dataset(self, raw: TemporalRelations) -> Dataset:
        return OneGraph(self.transform(raw))

    def collate(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        return items[0]

    def dataloader(self, dataset, *, batch_size, shuffle, drop_last, num_workers, seed) -> DataLoader:
        """One full-batch graph per step (``batch_size``, ``shuffle`` and ``drop_last`` do not apply)."""
        return DataLoader(dataset, batch_size=1, shuffle=False, collate_fn=self.collate)

    def input_spec(self) -> dict[str, Any]:
        return {
            "num_locations": len(self.locations), "num_kinds": len(self.kinds), "slots": list(self.slots),
            "num_distance_bins": len(self.boundaries) + 1,
        }

    def state_dict(self) -> PreprocessingState:
        return {"boundaries": self.boundaries, "locations": self.locations, "kinds": self.kinds, "slots": self.slots}

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.boundaries = np.asarray(state["boundaries"], dtype=np.float64)
        self.locations, self.kinds, self.slots = list(state["locations"]), list(state["kinds"]), list(state["slots"])
        self.fitted = True

    def sample_ids(self, raw: TemporalRelations) -> list[str]:
        """The location ids (``entities.dict`` names, or the CSV ``location`` column), in ``embed`` order."""
        return list(raw.locations)

    def example(self) -> dict[str, Any]:
        """A synthetic city (deterministic): 48 locations in a 1.2 km square of Tokyo, two relation kinds in
        four slots; plain CSV tables as a user would bring them."""
        import pandas as pd

        rng = np.random.default_rng(0)
        n = 48
        coords = pd.DataFrame({
            "location": [f"loc{i}" for i in range(n)],
            "latitude": 35.68 + rng.uniform(0, 0.011, n), "longitude": 139.76 + rng.uniform(0, 0.013, n),
        })
        slots = ["morning", "midday", "night", "late-night"]
        rows = []
        for i in range(n):
            for j in rng.choice(n, 4, replace=False):
                if i != j:
                    kind, slot = ["competitive", "complementary"][(i + j) % 2], slots[int(rng.integers(4))]
                    rows += [(f"loc{i}", kind, slot, f"loc{j}"), (f"loc{j}", kind, slot, f"loc{i}")]
        triples = pd.DataFrame(rows, columns=["head", "relation", "time_slot", "tail"]).drop_duplicates()
        order = rng.permutation(len(triples))
        n_valid = len(triples) // 10
        return {"train": triples.iloc[order[2 * n_valid:]], "valid": triples.iloc[order[:n_valid]],
                "test": triples.iloc[order[n_valid:2 * n_valid]], "coords": coords, "slots": slots}
