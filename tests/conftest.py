"""Shared fixtures: throw-away plugin distributions and a fresh plugin host per test that needs one."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

import multissl.plugins

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def write_plugin_distribution(root: Path, dist: str, module: str, source: str, entry_name: str) -> Path:
    """A minimal installed distribution on ``root``: ``module.py`` and a dist-info with ``entry_points.txt``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-0.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3.1\n")
    (info / "entry_points.txt").write_text(f"[multissl]\n{entry_name} = {module}\n")
    return root


@pytest.fixture
def plugin_distribution():
    """:func:`write_plugin_distribution`, for tests that build throw-away plugin packages."""
    return write_plugin_distribution


@pytest.fixture
def fresh_plugins(monkeypatch):
    """Rebuild the plugin host for this test, and again afterwards so no test leaks plugins."""
    for name in (multissl.plugins.STRICT_ENV, multissl.plugins.DISABLE_ENV):
        monkeypatch.delenv(name, raising=False)
    multissl.plugins.reload()
    yield multissl.plugins
    monkeypatch.undo()
    multissl.plugins.reload()


@pytest.fixture
def quiet_trainer():
    """Trainer overrides that keep test runs small and silent."""
    return {"trainer.enable_progress_bar": False, "trainer.log_every_n_steps": 1}


def pytest_report_header(config):
    return f"shared datasets: {SHARED_DATASETS if SHARED_DATASETS.is_dir() else 'absent (tests that need them skip)'}; cpu count {os.cpu_count()}"



@pytest.fixture(scope="session")
def tiny_run():
    """A vectors SimCLR run trained one epoch on ``tiny.data()`` (not saved)."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import tiny

    import multissl

    return multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, batch_size=32, **tiny.OVERRIDES)
