"""The built-in ``vectors`` modality: fixed-size numeric vectors.

Accepts a 2-D numpy array or tensor, a numeric pandas DataFrame, a path to a ``.csv``, ``.parquet``,
``.npy`` or ``.npz`` file, or the name of a registered dataset (e.g. ``breast_cancer``). Features
are standardised with the training mean and standard deviation (constant columns map to 0).
Categorical columns belong to the ``tabular`` plugin; here they are an error that says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from multissl._validation import check_finite_array, check_float32_range
from multissl.errors import EmptyDataError, InvalidDataError, did_you_mean
from multissl.modalities.base import Modality, PreprocessingState


@dataclasses.dataclass
class VectorsOptions:
    """Recipe keys under ``data`` for the ``vectors`` modality."""

    label_column: str | None = None
    """Column holding labels (DataFrame/CSV/Parquet sources); excluded from the features."""
    columns: list[str] | None = None
    """Feature columns to use; default: every column but the label column."""
    standardize: bool = True
    """Subtract the training mean and divide by the training standard deviation."""


@dataclasses.dataclass
class VectorTable:
    """Validated vectors: ``features`` (N, F) float32, optional ``labels`` (N,), column names, and the row
    ``ids`` (a DataFrame's index; ``None`` for arrays)."""

    features: np.ndarray
    labels: np.ndarray | None
    columns: list[str]
    ids: pd.Index | None = None


class _RowDataset(Dataset):
    def __init__(self, values: torch.Tensor) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.values[index]


class Standardize(torch.nn.Module):
    """``x -> (x - mean) / scale`` on ``batch["x"]``: the vectors preprocessing as a tensor op, for export."""

    def __init__(self, mean: np.ndarray, scale: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {**batch, "x": (batch["x"] - self.mean) / self.scale}


class Vectors(Modality):
    """Fixed-size numeric vectors; batches are ``{"x": (N, F) float32}``."""

    name = "vectors"
    Options = VectorsOptions
    method_defaults: ClassVar[dict[str, dict[str, Any]]] = {
        "byol": {"views": [{"name": "marginal_corruption", "ratio": 0.3}, {"name": "gaussian_noise", "std": 0.1}]},
        "mae": {"views": [{"name": "random_mask", "ratio": 0.4}], "loss": "mse"},  # masked features, mean-filled (0)
    }

    def __init__(self, options: VectorsOptions | None = None) -> None:
        super().__init__(options)
        self.columns: list[str] = []
        self.mean = np.zeros(0, dtype=np.float32)
        self.scale = np.ones(0, dtype=np.float32)

    def load(self, source: Any) -> VectorTable:
        frame_or_array = _read(source)
        if isinstance(frame_or_array, pd.DataFrame):
            table = self._from_frame(frame_or_array)
        else:
            values = np.asarray(frame_or_array)
            if values.ndim != 2:
                raise InvalidDataError(
                    f"vectors expects a 2-D (samples, features) array, got shape {values.shape}. "
                    "Reshape it, or use the modality made for this data."
                )
            if not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
                raise InvalidDataError(f"vectors expects numbers, got dtype {values.dtype}.")
            if self.options.label_column is not None and not self.fitted:
                raise InvalidDataError(
                    "data.label_column names a column, but the source is an array without column names. "
                    "Pass labels separately (multissl.evaluate(..., labels=array)) or use a DataFrame."
                )
            columns = [f"f{i}" for i in range(values.shape[1])]
            check_finite_array(values, "vectors data")
            check_float32_range(values, "vectors data", columns)
            table = VectorTable(values.astype(np.float32), None, columns)
        if table.features.shape[1] == 0:
            raise EmptyDataError("vectors found no feature columns. Check data.columns and data.label_column.")
        check_finite_array(table.features, "vectors data")
        if self.fitted and table.columns != self.columns:
            raise InvalidDataError(
                f"This data has columns {table.columns[:8]}{'...' if len(table.columns) > 8 else ''} "
                f"({len(table.columns)}), but the run was trained on {self.columns[:8]}"
                f"{'...' if len(self.columns) > 8 else ''} ({len(self.columns)}). Pass the same columns in the same order."
            )
        return table

    def _from_frame(self, frame: pd.DataFrame) -> VectorTable:
        frame = frame.rename(columns=str)
        duplicated = sorted(set(frame.columns[frame.columns.duplicated()]))
        if duplicated:
            raise InvalidDataError(
                f"Columns {duplicated[:10]} appear more than once in the data. Give every column its own name "
                "(e.g. frame.columns = [...]) before passing it."
            )
        label_column = self.options.label_column
        labels = None
        if label_column is not None and label_column in frame.columns:
            labels = frame[label_column].to_numpy(copy=True)
        elif label_column is not None and not self.fitted:
            raise InvalidDataError(
                f"Label column {label_column!r} is not in the data.{did_you_mean(label_column, frame.columns)} "
                f"Columns: {list(frame.columns)[:20]}."
            )
        # once fitted, the trained columns are taken from new data (extra columns are ignored)
        columns = self.columns if self.fitted else self.options.columns or [c for c in frame.columns if c != label_column]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            trained = " the run was trained on" if self.fitted else ""
            raise InvalidDataError(
                f"Columns {missing[:10]} ({len(missing)} in all) are not in the data;{trained} {len(columns)} columns. "
                f"The data has: {list(frame.columns)[:20]}."
            )
        features = frame[columns]
        non_numeric = [
            c for c in columns if not (pd.api.types.is_numeric_dtype(features[c]) or pd.api.types.is_bool_dtype(features[c]))
        ]
        if non_numeric:
            raise InvalidDataError(
                f"Columns {non_numeric} are not numeric. The vectors modality takes numbers only: drop or encode "
                "them, or use the tabular plugin (modality 'tabular'), which handles categorical columns."
            )
        values = features.to_numpy(dtype=np.float64, copy=True)
        if values.shape[1] == 0:
            raise EmptyDataError("vectors found no feature columns. Check data.columns and data.label_column.")
        check_finite_array(values, "vectors data")
        check_float32_range(values, "vectors data", list(columns))
        return VectorTable(values.astype(np.float32), labels, list(columns), ids=frame.index.copy())

    def fit(self, raw: VectorTable) -> None:
        if len(raw.features) > 1 and np.all(raw.features == raw.features[:1]):
            raise InvalidDataError(
                f"All {len(raw.features)} training rows are identical (every feature is constant): there is nothing "
                "to learn and every embedding would be the same. Check that the right columns and rows were loaded."
            )
        self.columns = list(raw.columns)
        if self.options.standardize:
            self.mean = raw.features.mean(axis=0).astype(np.float32)
            std = raw.features.std(axis=0).astype(np.float32)
            self.scale = np.where(std > 0, std, 1.0).astype(np.float32)
        else:
            self.mean = np.zeros(len(self.columns), dtype=np.float32)
            self.scale = np.ones(len(self.columns), dtype=np.float32)
        self.fitted = True

    def transform(self, raw: VectorTable) -> torch.Tensor:
        """Standardised features as a float32 tensor."""
        if not self.fitted:
            raise InvalidDataError("The vectors preprocessing is not fitted yet: call fit(raw) on training data first.")
        return torch.from_numpy((raw.features - self.mean) / self.scale)

    def dataset(self, raw: VectorTable) -> Dataset:
        return _RowDataset(self.transform(raw))

    def collate(self, items: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"x": torch.stack(items)}

    def input_spec(self) -> dict[str, Any]:
        return {"input_dim": len(self.columns)}

    def state_dict(self) -> PreprocessingState:
        return {"columns": self.columns, "mean": self.mean, "scale": self.scale}

    def load_state_dict(self, state: PreprocessingState) -> None:
        self.columns = list(state["columns"])
        self.mean = np.asarray(state["mean"], dtype=np.float32)
        self.scale = np.asarray(state["scale"], dtype=np.float32)
        self.fitted = True

    def example(self) -> np.ndarray:
        rng = np.random.default_rng(0)
        centres = rng.normal(size=(3, 8)) * 3
        return (centres[rng.integers(0, 3, 48)] + rng.normal(size=(48, 8))).astype(np.float32)

    def labels(self, raw: VectorTable) -> np.ndarray | None:
        return raw.labels

    def sample_ids(self, raw: VectorTable) -> pd.Index | None:
        """A DataFrame's (or CSV/Parquet file's) row index; ``None`` for arrays (rows numbered from 0)."""
        return raw.ids

    def export_batch(self, raw: VectorTable, limit: int | None = None) -> dict[str, torch.Tensor]:
        """The raw features: an exported encoder standardises them itself (:meth:`export_preprocessing`)."""
        return {"x": torch.from_numpy(raw.features[:limit].copy())}

    def export_preprocessing(self) -> torch.nn.Module:
        return Standardize(self.mean, self.scale)

    def baseline_features(self, raw: VectorTable) -> np.ndarray:
        """The preprocessed (standardised) input: what the encoder sees."""
        return self.transform(raw).numpy()


def _read(source: Any) -> Any:
    """A DataFrame or array from whatever the user holds."""
    if isinstance(source, pd.DataFrame | np.ndarray):
        return source
    if isinstance(source, torch.Tensor):
        return source.detach().cpu().numpy()
    if isinstance(source, str | Path):
        path = Path(source)
        suffix = path.suffix.lower()
        if suffix in {".csv", ".parquet", ".pq", ".npy", ".npz"}:
            if not path.exists():
                raise InvalidDataError(f"Data file {str(path)!r} does not exist.")
            try:
                return _read_file(path, suffix)
            except InvalidDataError:
                raise
            except ImportError as exc:
                raise InvalidDataError(f"Reading {path} needs a package that is not installed: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - each reader has its own errors; the user needs the file name
                raise InvalidDataError(
                    f"Cannot read {path} as {suffix[1:]}: {type(exc).__name__}: {str(exc)[:300]}. Check that the file is "
                    "complete and really is that format."
                ) from exc
        from multissl.plugins import registry

        names = registry().names("dataset")
        if str(source) in names:
            return registry().get("dataset", str(source))()
        raise InvalidDataError(
            f"Cannot read vectors from {str(source)!r}: not a .csv/.parquet/.npy/.npz file nor a registered dataset."
            f"{did_you_mean(str(source), names)} Registered datasets: {', '.join(names) or 'none'}."
        )
    if isinstance(source, list | tuple):
        return np.asarray(source)
    raise InvalidDataError(
        f"vectors cannot read a {type(source).__name__}. Pass an array, a tensor, a DataFrame or a file path."
    )


def _read_file(path: Path, suffix: str) -> Any:
    """A DataFrame or array from a ``.csv``, ``.parquet``, ``.npy`` or ``.npz`` file."""
    if suffix == ".csv":
        frame = pd.read_csv(path)
        _check_header(frame, path)
        return frame
    if suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    with np.load(path, allow_pickle=False) as archive:
        if len(archive.files) != 1:
            raise InvalidDataError(f"{path} holds arrays {archive.files}; save exactly one (N, F) array.")
        return archive[archive.files[0]]


def _check_header(frame: pd.DataFrame, path: Path) -> None:
    """Refuse a CSV whose header line looks like a row of data (pandas would drop it as column names)."""
    names = [str(c) for c in frame.columns]
    try:
        numbers = [float(name) for name in names]
    except ValueError:
        return
    if numbers == list(range(len(names))) or numbers == list(range(1, len(names) + 1)):
        return  # columns named by position: a header, not data
    raise InvalidDataError(
        f"The first line of {path} ({', '.join(names[:6])}{', ...' if len(names) > 6 else ''}) is numbers, not column "
        "names: the file seems to have no header, and that row would be lost. Add a header line, or read it with "
        "pandas.read_csv(path, header=None) and pass the DataFrame."
    )
