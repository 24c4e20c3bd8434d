"""Fixtures of the recsys plugin tests: small interaction tables and the shared dataset folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED = Path(__file__).resolve().parents[3] / ".." / "shared" / "datasets" / "recsys"


@pytest.fixture
def interactions() -> pd.DataFrame:
    """10 users × 5 interactions each over 30 items, with timestamps; ids are strings."""
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{i}", 100 * u + t) for u in range(10) for t, i in enumerate(rng.choice(30, size=5, replace=False))]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"])


@pytest.fixture
def movielens_dir() -> Path:
    if not (SHARED / "ml-latest-small" / "ratings.csv").is_file():
        pytest.skip(f"the shared MovieLens data is absent ({SHARED / 'ml-latest-small'})")
    return SHARED / "ml-latest-small"


@pytest.fixture
def gowalla_dir() -> Path:
    if not (SHARED / "lightgcn_gowalla" / "train.txt").is_file():
        pytest.skip(f"the shared Gowalla data is absent ({SHARED / 'lightgcn_gowalla'})")
    return SHARED / "lightgcn_gowalla"


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: these tensors are tiny, and on a shared 2-core machine two threads wait on each other (10x slower)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
