"""Shared checks on tensors and arrays that public entry points run before any work."""

from __future__ import annotations

import numpy as np
import torch

from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError


def check_finite_array(values: np.ndarray, what: str) -> None:
    """Raise :class:`NonFiniteDataError` naming how many entries of ``values`` are NaN or infinite."""
    if values.size == 0:
        raise EmptyDataError(f"{what} is empty: it has shape {values.shape}. Pass at least one sample.")
    if np.issubdtype(values.dtype, np.floating):
        bad = ~np.isfinite(values)
        if bad.any():
            rows = np.unique(np.nonzero(bad)[0])
            raise NonFiniteDataError(
                f"{what} holds {int(np.isnan(values).sum())} NaN and {int(np.isinf(values).sum())} infinite "
                f"values in {len(rows)} rows (first rows: {rows[:5].tolist()}). Impute or drop them first."
            )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(values: np.ndarray, what: str, columns: list[str] | None = None) -> None:
    """Raise :class:`InvalidDataError` when finite values would overflow float32 (training's dtype), naming the
    largest magnitude and its column, instead of reporting them later as infinite."""
    if not np.issubdtype(values.dtype, np.floating) or values.dtype.itemsize <= 4 or values.size == 0:
        return
    magnitude = np.abs(values)
    too_large = magnitude > FLOAT32_MAX
    if too_large.any():
        flat = int(np.argmax(np.where(too_large, magnitude, 0)))
        column = flat % values.shape[1] if values.ndim == 2 else None
        where = "" if column is None else f" (column {columns[column] if columns else column!r})"
        raise InvalidDataError(
            f"{what} holds {int(too_large.sum())} finite values beyond the float32 range (±{FLOAT32_MAX:.3g}), "
            f"largest {values.flat[flat]:.3g}{where}; training runs in float32. Rescale those columns first "
            "(divide by a constant, or take a log)."
        )


def check_finite_tensor(values: torch.Tensor, what: str) -> None:
    """Raise :class:`NonFiniteDataError` naming how many entries of ``values`` are NaN or infinite (on its device)."""
    finite = torch.isfinite(values)
    if not bool(finite.all()):
        raise NonFiniteDataError(f"{what} hold {int((~finite).sum())} NaN or infinite values; impute or drop them first.")
