"""Shared checks on tensors and arrays that public entry points run before any work."""

from __future__ import annotations

import numpy as np
import torch

from multissl.errors import EmptyDataError, NonFiniteDataError


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


def check_finite_tensor(values: torch.Tensor, what: str) -> None:
    """Raise :class:`NonFiniteDataError` naming how many entries of ``values`` are NaN or infinite (on its device)."""
    finite = torch.isfinite(values)
    if not bool(finite.all()):
        raise NonFiniteDataError(f"{what} hold {int((~finite).sum())} NaN or infinite values; impute or drop them first.")
