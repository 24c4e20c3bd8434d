"""An interaction log's items (or users) as fine-tuning's samples (``multissl.finetune(run, data, labels, what="items")``).

The samples are the catalogue the run was fitted on, in its order (``multissl embed RUN --what items``): one per
item id. A batch names some items; their embeddings are the method's item vectors (``user_item_embeddings``:
LightGCN's propagation over the whole training graph, the two towers' item tower), or the item half of a
generic method's ``[user vector, item vector]``, so fine-tuning trains the encoder through the same path the
recommender scores with. Labels come as an array in catalogue order, a Series indexed by item id, or a column of
the item (user) feature table; ``"genres=Drama"`` turns a multi-valued column into one-vs-rest classes
(``Drama`` / ``other``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from multissl.errors import InvalidDataError, RecipeError
from multissl.finetuning.samples import Samples
from multissl.finetuning.task_model import TARGET_KEY

TABLES = ("items", "users")


class CatalogueSamples(Samples):
    """The items (``what="items"``) or users (``what="users"``) the interactions modality was fitted on."""

    def __init__(self, modality, raw: Any, what: str) -> None:
        if what not in TABLES:
            raise RecipeError(f"The interactions modality labels 'items' or 'users' (what=...), got {what!r}.")
        self.modality = modality
        self.raw = raw
        self.what = what
        self.ids = modality.item_ids if what == "items" else modality.user_ids
        self.key = "item" if what == "items" else "user"

    def __len__(self) -> int:
        return len(self.ids)

    def loader(self, indices, targets, *, batch_size, shuffle, seed):
        indices = torch.arange(len(self)) if indices is None else torch.as_tensor(indices, dtype=torch.long)
        other = "user" if self.key == "item" else "item"

        def batch(rows: list[torch.Tensor]) -> dict[str, Any]:
            rows = torch.stack(rows)
            out = {self.key: rows, other: torch.zeros_like(rows), **self.modality.context()}
            return out if targets is None else {**out, TARGET_KEY: targets[rows]}

        size = min(batch_size, len(indices))
        return DataLoader(list(indices), batch_size=size, shuffle=shuffle, collate_fn=batch,
                          drop_last=shuffle and len(indices) % size == 1,
                          generator=torch.Generator().manual_seed(seed) if shuffle else None)

    def embed(self, method, batch):
        """The batch's item (user) vectors: ``user_item_embeddings`` rows, else the item (user) half of ``embed``."""
        rows = batch[self.key]
        if hasattr(method, "user_item_embeddings"):
            users, items = method.user_item_embeddings(batch)
            return (items if self.key == "item" else users)[rows]
        both = method.embed(batch)
        half = both.shape[1] // 2
        return both[:, half:] if self.key == "item" else both[:, :half]

    def labels(self, column):
        """The feature table's ``column`` in catalogue order; ``"name=value"``: ``value`` / ``other`` by whether the
        multi-valued column ``name`` holds ``value``. ``None`` without a column (interactions carry no labels)."""
        if column is None:
            return None
        table = self.raw.item_features if self.key == "item" else self.raw.user_features
        name, _, value = column.partition("=")
        if table is None or name not in table.columns:
            held = "no feature table" if table is None else f"columns {list(table.columns)}"
            raise InvalidDataError(
                f"Label column {name!r} is not in the {self.key} feature table ({held}). Pass the labels as an array "
                f"in catalogue order or a Series indexed by {self.key} id."
            )
        cells = table[name].reindex(pd.Index(self.ids).astype(str))
        if not value:
            return cells.to_numpy()
        separator = self.modality.options.multi_value_separator
        holds = cells.map(lambda cell: isinstance(cell, str) and value in cell.split(separator))
        if not holds.any():
            raise InvalidDataError(f"No {self.key} has {value!r} in its {name!r} column; pick a value it holds.")
        return np.where(holds.to_numpy(), value, "other")

    def sample_ids(self):
        return pd.Index(self.ids, name="id")
