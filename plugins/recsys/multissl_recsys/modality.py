"""The ``interactions`` modality: user-item interactions with optional item and user feature tables.

Sources ``load`` accepts: an interactions DataFrame, CSV/TSV/Parquet path or ``scipy.sparse`` (users × items)
matrix; a dict with ``interactions`` (split by ``data.split``) or ``train`` and ``test`` (a given split), optionally
``user_ids`` / ``item_ids`` (a sparse matrix's row and column ids, :func:`~multissl_recsys.tables.sparse_interactions`)
and ``item_features`` / ``user_features``; or an :class:`~multissl_recsys.tables.InteractionTables`.

Fitting maps user and item ids (as strings) to indices over the train and test rows, encodes the
feature tables (:mod:`multissl_recsys.features`) and keeps the training interactions, which are the
graph of LightGCN/SGL/SimGCL and the items excluded when ranking. All of it is the saved state, so a
loaded run ranks and embeds as the original did. Batches are training interactions
``{"user", "item"}`` (B,) with the catalogue-level tensors every method reads (the same objects each
batch, never copied): ``graph_user``/``graph_item`` (E,), ``graph_adjacency/...`` (the CSR parts of the normalised ``Â``),
``graph_keys`` (sorted ``u * I + i``), ``item_features/<name>`` (I, L),
``user_features/<name>`` (U, L).

Bad input: repeated (user, item) pairs are merged into one (the latest) with a warning, or refused
with ``duplicates=error``; users with a single interaction stay in training and are counted; ids
unseen in training raise an error naming them, or, with ``unknown_ids=skip``, are kept and marked with
a warning: ``embed`` gives those rows NaN (one row per input, always), the ``ranking`` evaluator leaves
them out and counts them (``n_skipped``).
"""

from __future__ import annotations

import dataclasses
import logging
import warnings
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch.utils.data import Dataset

from multissl.errors import EmptyDataError, InvalidDataError, RecipeError
from multissl.modalities.base import Modality, PreprocessingState
from multissl_recsys import serving, splits
from multissl_recsys.adjacency import graph_context
from multissl_recsys.features import FeatureEncoder
from multissl_recsys.tables import (
    ITEM,
    RATING,
    SOURCE_KEYS,
    TIMESTAMP,
    USER,
    InteractionTables,
    normalise_features,
    normalise_interactions,
    read_table,
    sparse_interactions,
)

log = logging.getLogger(__name__)


@dataclasses.dataclass
class InteractionsOptions:
    """Recipe keys under ``data`` for the ``interactions`` modality."""

    user_column: str = "user"
    item_column: str = "item"
    rating_column: str | None = None
    timestamp_column: str | None = None
    min_rating: float | None = None
    """Keep interactions with ``rating >= min_rating`` as positives (explicit ratings as implicit feedback)."""
    split: Literal["random", "leave_last_out", "none"] = "random"
    """How a single interactions table is split into train and test (a ``train``/``test`` source is kept as given)."""
    test_fraction: float = 0.2
    split_seed: int = 0
    duplicates: Literal["merge", "error"] = "merge"
    unknown_ids: Literal["error", "skip"] = "error"
    """Interactions of users or items the run was not fitted on: an error, or kept and marked with a warning (their
    embeddings are NaN rows; ranking leaves them out and counts them)."""
    multi_value_separator: str = "|"
    numeric_bins: int = 10
    max_values: int = 32


class InteractionDataset(Dataset):
    """Interactions as index pairs; ``__getitems__`` fetches a whole batch at once (no per-row Python).

    An index of -1 marks an id the run was not fitted on (``unknown_ids=skip``): such a row is served as index 0
    with ``known`` False in its batch, and :func:`mark_unknown` turns its embedding into NaN.
    """

    def __init__(self, users: np.ndarray, items: np.ndarray) -> None:
        users = torch.as_tensor(users, dtype=torch.long)
        items = torch.as_tensor(items, dtype=torch.long)
        self.known = (users >= 0) & (items >= 0)
        self.marks_unknown = not bool(self.known.all())
        self.users, self.items = users.clamp_min(0), items.clamp_min(0)

    def __len__(self) -> int:
        return len(self.users)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        return self.__getitems__([index])

    def __getitems__(self, indices: list[int]) -> dict[str, torch.Tensor]:
        index = torch.as_tensor(indices, dtype=torch.long)
        batch = {"user": self.users[index], "item": self.items[index]}
        return {**batch, "known": self.known[index]} if self.marks_unknown else batch


def _catalogue(given: list[str] | None, columns: list[pd.Series]) -> list[str]:
    """The ``given`` ids (a sparse matrix's rows or columns), then the other ids of ``columns`` by first appearance."""
    distinct = [np.asarray(given if given is not None else [], dtype=object)]
    distinct += [np.asarray(pd.unique(column), dtype=object) for column in columns]
    return pd.unique(np.concatenate(distinct)).tolist()


def mark_unknown(batch: dict[str, torch.Tensor], embeddings: torch.Tensor) -> torch.Tensor:
    """``embeddings`` (B, D) with NaN in the rows whose user or item the run does not know (``batch["known"]``)."""
    if "known" not in batch:
        return embeddings
    return embeddings.masked_fill(~batch["known"][:, None], float("nan"))


_GRAPH_ENCODER = {"input": "user_item_graph", "encoder": "lightgcn", "encoder_options": {"embedding_dim": 32, "n_layers": 2}}
_GRAPH_VIEWS = [{"name": "interaction_node_drop", "ratio": 0.1}, {"name": "interaction_edge_drop", "ratio": 0.2}]


class Interactions(Modality):
    """User-item interactions (+ item/user features); ``embed`` gives ``[user vector, item vector]`` per row."""

    name = "interactions"
    Options = InteractionsOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        # the core's generic methods on LightGCN over the user-item graph, with SGL's node and edge dropout as views
        "simclr": {**_GRAPH_ENCODER, "views": _GRAPH_VIEWS, "projector_dims": [128, 64], "objective_options": {"temperature": 0.2}},
        "vicreg": {**_GRAPH_ENCODER, "views": _GRAPH_VIEWS, "projector_dims": [128, 128]},
        "barlow_twins": {**_GRAPH_ENCODER, "views": _GRAPH_VIEWS, "projector_dims": [128, 128]},
        "byol": {**_GRAPH_ENCODER, "views": _GRAPH_VIEWS, "projector_dims": [128, 64], "predictor_dims": [128]},
        # masked-edge reconstruction (MaskGAE): hidden interactions scored against sampled non-interactions
        "mae": {**_GRAPH_ENCODER, "views": [{"name": "interaction_edge_mask", "ratio": 0.5}], "decoder_dims": [64]},
    }

    def __init__(self, options: InteractionsOptions | None = None) -> None:
        super().__init__(options)
        self.user_ids: list[str] = []
        self.item_ids: list[str] = []
        self.item_encoder = self._encoder()
        self.user_encoder = self._encoder()
        self.item_codes: dict[str, np.ndarray] = {}
        self.user_codes: dict[str, np.ndarray] = {}
        self.train_user = np.zeros(0, dtype=np.int64)
        self.train_item = np.zeros(0, dtype=np.int64)
        self._context: dict[str, torch.Tensor] | None = None

    def _encoder(self) -> FeatureEncoder:
        o = self.options
        return FeatureEncoder(o.multi_value_separator, o.numeric_bins, o.max_values)

    # -- load ------------------------------------------------------------------------------------
    def load(self, source: Any) -> InteractionTables:
        """Read, normalise and validate ``source``; split it when not yet fitted (see the module docstring)."""
        if isinstance(source, InteractionTables):
            tables = dataclasses.replace(source)
            tables.train = self._clean(tables.train, "train interactions")
            tables.test = self._clean(tables.test, "test interactions") if tables.test is not None else None
        else:
            tables = self._read(source if isinstance(source, dict) else {"interactions": source})  # a table, path or sparse matrix
        if self.fitted:
            tables.train = self._known(tables.train, "interactions")
            if tables.test is not None:
                tables.test = self._known(tables.test, "test interactions")
        return tables

    def _read(self, source: dict[str, Any]) -> InteractionTables:
        unknown = sorted(set(source) - set(SOURCE_KEYS))
        if unknown:
            raise InvalidDataError(f"Unknown keys {unknown} in the interactions source; allowed: {list(SOURCE_KEYS)}.")
        o = self.options
        columns = {"user_column": o.user_column, "item_column": o.item_column, "rating_column": o.rating_column, "timestamp_column": o.timestamp_column}
        catalogues: dict[str, list[str]] = {}
        if (source.get("user_ids") is not None or source.get("item_ids") is not None) and not any(sp.issparse(v) for v in source.values()):
            raise InvalidDataError("user_ids and item_ids name the rows and columns of a sparse interactions matrix; pass one, or leave them out.")

        def read(key: str) -> pd.DataFrame:
            if sp.issparse(source[key]):
                frame, users, items = sparse_interactions(source[key], key, source.get("user_ids"), source.get("item_ids"))
                catalogues.update(user_catalogue=users, item_catalogue=items)
                return self._clean(frame, key)
            return self._clean(normalise_interactions(read_table(source[key], key), key, **columns), key)

        features = {
            key: normalise_features(read_table(source[key], key), key, o.item_column if key == "item_features" else o.user_column)
            for key in ("item_features", "user_features") if source.get(key) is not None
        }
        if "train" in source or "test" in source:
            if "interactions" in source or not ("train" in source and "test" in source):
                raise InvalidDataError("Pass either 'interactions' (split by data.split) or both 'train' and 'test' (a given split).")
            return InteractionTables(read("train"), read("test"), **features, **catalogues)
        if "interactions" not in source:
            raise InvalidDataError(f"The interactions source needs an 'interactions' table (or 'train' and 'test'); got keys {sorted(source)}.")
        frame = read("interactions")
        if self.fitted or o.split == "none":
            return InteractionTables(frame, None, **features, **catalogues)
        if o.split == "random":
            train, test, single = splits.random_per_user(frame, o.test_fraction, o.split_seed)
        else:
            train, test, single = splits.leave_last_out(frame)
        if single:
            log.warning("%d users have a single interaction: it stays in training and they are not evaluated.", single)
        return InteractionTables(train, test, **features, **catalogues)

    def _clean(self, frame: pd.DataFrame, what: str) -> pd.DataFrame:
        """Apply ``min_rating`` and merge repeated (user, item) pairs into the latest one."""
        o = self.options
        if o.min_rating is not None:
            if RATING not in frame:
                raise RecipeError("data.min_rating needs ratings: set data.rating_column.")
            kept = frame[RATING] >= o.min_rating
            log.info("%s: %d of %d interactions have rating >= %s and are kept.", what, int(kept.sum()), len(frame), o.min_rating)
            frame = frame[kept].reset_index(drop=True)
            if len(frame) == 0:
                raise EmptyDataError(f"{what}: no interaction has rating >= {o.min_rating}; lower data.min_rating.")
        repeated = frame.duplicated([USER, ITEM], keep="last")
        if repeated.any():
            if o.duplicates == "error":
                first = frame[repeated].iloc[0]
                raise InvalidDataError(
                    f"{what} has {int(repeated.sum())} repeated (user, item) pairs (first: {first[USER]!r}, {first[ITEM]!r}). "
                    "Remove them, or set data.duplicates=merge to keep the latest of each."
                )
            warnings.warn(f"{what}: {int(repeated.sum())} repeated (user, item) pairs merged into the latest one.", stacklevel=3)
            if TIMESTAMP in frame:
                frame = frame.sort_values(TIMESTAMP, kind="stable")
            frame = frame.drop_duplicates([USER, ITEM], keep="last").sort_index().reset_index(drop=True)
        return frame

    def _known(self, frame: pd.DataFrame, what: str) -> pd.DataFrame:
        """``frame`` when the run knows every user and item; otherwise an error, or the same rows with a warning
        (``unknown_ids=skip``: :meth:`indices` gives -1 for the ids it does not know)."""
        known = frame[USER].isin(self._user_index) & frame[ITEM].isin(self._item_index)
        if known.all():
            return frame
        unknown = frame[~known]
        message = (
            f"{what}: {len(unknown)} rows name users or items the run was not trained on (first: user "
            f"{unknown[USER].iloc[0]!r}, item {unknown[ITEM].iloc[0]!r})."
        )
        if self.options.unknown_ids == "error":
            raise InvalidDataError(
                f"{message} ID-based models have no vector for them; set data.unknown_ids=skip to keep them as NaN rows of "
                "embed (left out of ranking, and counted), and "
                "use modality.recommend(method, users, k, unknown_users='popular'), which serves unknown users the most "
                "popular items."
            )
        warnings.warn(
            f"{message} They are kept in place (data.unknown_ids=skip): embed gives them NaN rows, ranking leaves them out.",
            stacklevel=3,
        )
        return frame

    # -- fit and state ---------------------------------------------------------------------------
    def fit(self, raw: InteractionTables) -> None:
        frames = [raw.train] if raw.test is None else [raw.train, raw.test]
        self.user_ids = _catalogue(raw.user_catalogue, [f[USER] for f in frames])
        self.item_ids = _catalogue(raw.item_catalogue, [f[ITEM] for f in frames])
        for table, ids, what in ((raw.item_features, self.item_ids, "item_features"), (raw.user_features, self.user_ids, "user_features")):
            if table is not None:
                without = int((~table.index.isin(ids)).sum())
                if without:
                    log.warning("%s: %d rows have no interaction and are not in the catalogue.", what, without)
        self.item_encoder = self._encoder().fit(raw.item_features, "item_features") if raw.item_features is not None else self._encoder()
        self.user_encoder = self._encoder().fit(raw.user_features, "user_features") if raw.user_features is not None else self._encoder()
        self.item_codes = self.item_encoder.transform(raw.item_features, self.item_ids)
        self.user_codes = self.user_encoder.transform(raw.user_features, self.user_ids)
        self._index_ids()
        self.train_user, self.train_item = self.indices(raw.train)
        self.fitted = True

    def _index_ids(self) -> None:
        self._user_index = pd.Index(self.user_ids)
        self._item_index = pd.Index(self.item_ids)
        self._context = None

    def indices(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(user, item) index arrays of a loaded interactions frame; -1 for ids the modality was not fitted on."""
        return (
            self._user_index.get_indexer(frame[USER]).astype(np.int64),
            self._item_index.get_indexer(frame[ITEM]).astype(np.int64),
        )

    def user_positions(self, ids: list[Any]) -> np.ndarray:
        """Index of each user id (compared as strings); -1 for users the modality was not fitted on."""
        return self._user_index.get_indexer([str(i) for i in ids])

    def matrix(self, frame: pd.DataFrame | None = None) -> sp.csr_array:
        """The (users × items) 0/1 matrix of ``frame``'s interactions (the training ones when ``None``); rows naming an
        id the modality was not fitted on (kept by ``unknown_ids=skip``) have no place in it and are left out."""
        users, items = (self.train_user, self.train_item) if frame is None else self.indices(frame)
        known = (users >= 0) & (items >= 0)
        users, items = users[known], items[known]
        data = np.ones(len(users), dtype=np.float32)
        matrix = sp.csr_array((data, (users, items)), shape=(len(self.user_ids), len(self.item_ids)))
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        return matrix

    def sample_ids(self, raw: InteractionTables) -> pd.MultiIndex:
        """The (user, item) ids of each embedded row, as in the data: ``embed`` gives one row per training interaction."""
        return pd.MultiIndex.from_frame(raw.train[[USER, ITEM]], names=["user", "item"])

    def embedding_table(self, method, what: str) -> pd.DataFrame:
        """The ``users`` or ``items`` embedding table of a trained ``method``, indexed by the ids of the data
        (:func:`multissl_recsys.serving.embedding_table`; ``multissl embed RUN --what users|items``)."""
        return serving.embedding_table(self, method, what)

    def recommend(self, method, users: list[Any], k: int = 20, *, unknown_users: Literal["error", "popular"] = "error") -> pd.DataFrame:
        """Top ``k`` unseen items per user id by a trained ``method`` (:func:`multissl_recsys.serving.recommend`;
        ``multissl recommend RUN --users ... -k K``)."""
        return serving.recommend(self, method, users, k, unknown_users=unknown_users)

    def finetune_samples(self, raw: InteractionTables, what: str | None = None):
        """The catalogue's ``items`` or ``users`` as fine-tuning's samples (:mod:`multissl_recsys.finetune_items`);
        ``None`` without ``what``: the samples are the interactions."""
        from multissl_recsys.finetune_items import CatalogueSamples

        return None if what is None else CatalogueSamples(self, raw, what)

    def item_popularity(self) -> np.ndarray:
        """Training interactions per item."""
        return np.bincount(self.train_item, minlength=len(self.item_ids))

    def state_dict(self) -> PreprocessingState:
        return {
            "user_ids": self.user_ids,
            "item_ids": self.item_ids,
            "train_user": self.train_user,
            "train_item": self.train_item,
            "item_encoder": self.item_encoder.state_dict(),
            "user_encoder": self.user_encoder.state_dict(),
            "item_codes": dict(self.item_codes),
            "user_codes": dict(self.user_codes),
        }

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.user_ids, self.item_ids = list(state["user_ids"]), list(state["item_ids"])
        self.train_user = np.asarray(state["train_user"], dtype=np.int64)
        self.train_item = np.asarray(state["train_item"], dtype=np.int64)
        self.item_encoder.load_state_dict(state["item_encoder"])
        self.user_encoder.load_state_dict(state["user_encoder"])
        self.item_codes = {k: np.asarray(v, dtype=np.int64) for k, v in state["item_codes"].items()}
        self.user_codes = {k: np.asarray(v, dtype=np.int64) for k, v in state["user_codes"].items()}
        self._index_ids()
        self.fitted = True

    # -- batches ---------------------------------------------------------------------------------
    def dataset(self, raw: InteractionTables) -> Dataset:
        if not self.fitted:
            raise InvalidDataError("Fit the interactions modality (modality.fit(raw)) before building its dataset.")
        return InteractionDataset(*self.indices(raw.train))

    def context(self) -> dict[str, torch.Tensor]:
        """Catalogue-level tensors added to every batch, computed once: the training graph (its interactions, ``Â``
        and sorted keys, :func:`~multissl_recsys.adjacency.graph_context`) and the feature codes."""
        if self._context is None:
            users, items = torch.as_tensor(self.train_user), torch.as_tensor(self.train_item)
            self._context = {
                **graph_context(users, items, len(self.user_ids), len(self.item_ids)),
                **{f"item_features/{k}": torch.as_tensor(v) for k, v in self.item_codes.items()},
                **{f"user_features/{k}": torch.as_tensor(v) for k, v in self.user_codes.items()},
            }
        return self._context

    def collate(self, items: Any) -> dict[str, torch.Tensor]:
        batch = items if isinstance(items, dict) else {k: torch.cat([item[k] for item in items]) for k in items[0]}
        return {**batch, **self.context()}

    def input_spec(self) -> dict[str, Any]:
        return {
            "n_users": len(self.user_ids),
            "n_items": len(self.item_ids),
            "item_features": self.item_encoder.spec(),
            "user_features": self.user_encoder.spec(),
        }

    def example(self) -> dict[str, pd.DataFrame]:
        """A few dozen interactions of 12 users and 20 items with string ids, genres and a year."""
        rng = np.random.default_rng(0)
        rows = [(f"u{u}", f"i{i}", int(t)) for u in range(12) for t, i in enumerate(rng.choice(20, size=5, replace=False))]
        interactions = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
        genres = ["Action", "Comedy", "Drama", "Sci-Fi"]
        items = pd.DataFrame(
            {
                "item": [f"i{i}" for i in range(20)],
                "genres": ["|".join(rng.choice(genres, size=rng.integers(1, 3), replace=False)) for _ in range(20)],
                "year": rng.integers(1980, 2020, size=20),
            }
        )
        return {"interactions": interactions, "item_features": items}
