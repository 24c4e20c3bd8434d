"""Encode a user or item feature table as padded integer codes, one (N, L) array per feature.

Each column is one of three kinds, detected from its values:

- ``multi``: strings holding the separator (e.g. MovieLens genres ``Action|Comedy``), one code per value;
- ``numeric``: numbers, cut into ``numeric_bins`` quantile bins (so every feature is categorical, which
  the two-tower towers embed and the mutual information of CFM needs);
- ``categorical``: anything else, one code per distinct value.

Code 0 pads, code 1 stands for a missing row or an unseen value; known values start at 2. A
multi-valued feature keeps at most ``max_values`` values per row, the most frequent ones overall
(the number of rows that lost values is logged).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from multissl.errors import InvalidDataError

PAD, UNKNOWN = 0, 1
log = logging.getLogger(__name__)


class FeatureEncoder:
    """Vocabularies (and numeric bin edges) fitted on a feature table; ``transform`` gives the codes."""

    def __init__(self, separator: str = "|", numeric_bins: int = 10, max_values: int = 32) -> None:
        self.separator = separator
        self.numeric_bins = numeric_bins
        self.max_values = max_values
        self.features: dict[str, dict[str, Any]] = {}

    def fit(self, table: pd.DataFrame, what: str) -> FeatureEncoder:
        """Detect each column's kind and fit its vocabulary (ordered by frequency) or bin edges."""
        self.features = {}
        for name in table.columns:
            column = table[name].dropna()
            if len(column) == 0:
                raise InvalidDataError(f"{what}: feature column {name!r} holds no values; drop it.")
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                values = column.to_numpy(dtype=np.float64)
                if not np.isfinite(values).all():
                    raise InvalidDataError(f"{what}: numeric feature {name!r} holds infinite values; clip or drop them.")
                edges = np.unique(np.quantile(values, np.linspace(0, 1, self.numeric_bins + 1)[1:-1]))
                self.features[str(name)] = {"kind": "numeric", "edges": edges.tolist(), "size": len(edges) + 3}
                continue
            text = column.astype(str)
            multi = text.str.contains(self.separator, regex=False).any()
            values = text.str.split(self.separator, regex=False).explode().str.strip() if multi else text
            vocabulary = values[values != ""].value_counts().index.tolist()
            self.features[str(name)] = {"kind": "multi" if multi else "categorical", "vocabulary": vocabulary, "size": len(vocabulary) + 2}
        return self

    def transform(self, table: pd.DataFrame | None, ids: list[str]) -> dict[str, np.ndarray]:
        """Codes for the rows ``ids`` (in that order): (N, 1) per single-valued feature, (N, L) per multi-valued one."""
        rows = table.reindex(ids) if table is not None else pd.DataFrame(index=ids)
        codes: dict[str, np.ndarray] = {}
        for name, spec in self.features.items():
            column = rows[name] if name in rows else pd.Series(np.nan, index=ids)
            if spec["kind"] == "numeric":
                values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
                binned = np.searchsorted(np.asarray(spec["edges"]), values, side="right") + 2
                codes[name] = np.where(np.isnan(values), UNKNOWN, binned)[:, None].astype(np.int64)
                continue
            lookup = {value: code + 2 for code, value in enumerate(spec["vocabulary"])}
            if spec["kind"] == "categorical":
                codes[name] = np.array([lookup.get(str(v), UNKNOWN) if pd.notna(v) else UNKNOWN for v in column], dtype=np.int64)[:, None]
                continue
            per_row = [
                sorted({lookup.get(v.strip(), UNKNOWN) for v in str(value).split(self.separator) if v.strip()}) if pd.notna(value) else [UNKNOWN]
                for value in column
            ]
            per_row = [row or [UNKNOWN] for row in per_row]
            truncated = sum(len(row) > self.max_values for row in per_row)
            if truncated:
                log.info("Feature %r: %d rows have more than %d values; the most frequent %d are kept.", name, truncated, self.max_values, self.max_values)
            width = min(max(len(row) for row in per_row), self.max_values)
            padded = np.full((len(per_row), width), PAD, dtype=np.int64)
            for i, row in enumerate(per_row):
                kept = row[:width]  # codes are ordered by frequency, so the lowest codes are the most frequent values
                padded[i, : len(kept)] = kept
            codes[name] = padded
        return codes

    def state_dict(self) -> dict[str, Any]:
        return {"separator": self.separator, "numeric_bins": self.numeric_bins, "max_values": self.max_values, "features": self.features}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.separator, self.numeric_bins, self.max_values = state["separator"], state["numeric_bins"], state["max_values"]
        self.features = state["features"]

    def spec(self) -> dict[str, dict[str, Any]]:
        """Per feature: vocabulary size (with pad and unknown) and whether it is multi-valued."""
        return {name: {"size": s["size"], "multi": s["kind"] == "multi"} for name, s in self.features.items()}
