"""Fixtures shared by the graph plugin's tests."""

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CANDIDATES = [REPO / "shared" / "datasets" / "graph" / "Cora" / "raw", REPO.parent / "shared" / "datasets" / "graph" / "Cora" / "raw"]
CORA_RAW = next((path for path in CANDIDATES if path.exists()), CANDIDATES[-1])


@pytest.fixture(scope="module")
def cora(tmp_path_factory):
    """Cora from the shared datasets as a PyG ``Data`` (Planetoid's public split); skipped when they are absent."""
    if not CORA_RAW.exists():
        pytest.skip(f"the shared Cora files are not at {CORA_RAW}")
    from torch_geometric.datasets import Planetoid

    root = tmp_path_factory.mktemp("planetoid")
    shutil.copytree(CORA_RAW, root / "Cora" / "raw")
    return Planetoid(str(root), "Cora")[0]
