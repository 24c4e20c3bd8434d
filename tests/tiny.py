"""Tiny vectors runs for tests that need a trained run: a second of CPU each.

Imported by plain module name (tests put this folder on ``sys.path``).
"""

from __future__ import annotations

import numpy as np

OVERRIDES = {
    "trainer.enable_progress_bar": False,
    "method.encoder_options": {"hidden_dims": [16], "output_dim": 8},
    "method.projector_dims": [8],
}
"""Overrides that make a vectors SimCLR run train in about a second."""


def data(rows: int = 64, features: int = 6, seed: int = 0) -> np.ndarray:
    """Random float32 vectors."""
    return np.random.default_rng(seed).normal(size=(rows, features)).astype("float32")
