"""The complete custom modality in docs/writing-a-plugin.md works: as a runtime plugin and as a package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import multissl

DOC = Path(__file__).resolve().parents[1] / "docs" / "writing-a-plugin.md"


def _code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture
def plugin_module_dir(tmp_path):
    module = next(block for block in _code_blocks("python") if block.startswith("# signals_plugin.py"))
    (tmp_path / "signals_plugin.py").write_text(module)
    return tmp_path


def test_the_documented_plugin_runs_as_shown(plugin_module_dir, monkeypatch, fresh_plugins):
    monkeypatch.syspath_prepend(str(plugin_module_dir))
    usage = next(block for block in _code_blocks("python") if "multissl.register(signals_plugin)" in block)
    usage = usage.replace("max_epochs=3", "max_epochs=1, **{'trainer.enable_progress_bar': False}")
    namespace: dict = {}
    exec(compile(usage, "writing-a-plugin.md", "exec"), namespace)  # noqa: S102 - the doc's own example
    run, signals = namespace["run"], namespace["signals"]
    assert run.embed(signals).shape == (40, 32)


def test_the_documented_plugin_is_found_through_its_entry_point(
    plugin_module_dir, tmp_path, monkeypatch, fresh_plugins, plugin_distribution
):
    source = (plugin_module_dir / "signals_plugin.py").read_text()
    site = plugin_distribution(tmp_path / "site", "multissl-signals", "signals_plugin", source, "signals")
    monkeypatch.syspath_prepend(str(site))
    fresh_plugins.reload()
    report = {r.name: r for r in fresh_plugins.plugin_reports()}["signals"]
    assert report.error is None and report.components == {"modality": ["signals"]}
    assert "simclr" in [c.name for c in fresh_plugins.registry().methods_for("signals")]
    signals = fresh_plugins.registry().get("modality", "signals")().example()
    run = multissl.pretrain("signals", signals, method="simclr", max_epochs=1, batch_size=16, **{"trainer.enable_progress_bar": False})
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(signals), run.embed(signals))
