"""Plugin discovery through entry points: throw-away distributions, failures, switches, listing."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import multissl
from multissl.errors import PluginLoadError, PluginLoadWarning

GOOD_PLUGIN = """
    from multissl import hookimpl

    @hookimpl
    def multissl_register(registry):
        # a lazy target: listing plugins must not import the modality (nor torch)
        registry.add_modality("squares", "squares_modality:Squares", summary="squared vectors")
        registry.serve("simclr", "squares")
"""

SQUARES_MODALITY = '''
import numpy as np
from multissl.modalities.vectors import Vectors


class Squares(Vectors):
    """Vectors of squared values: a custom modality shipped as a package."""

    name = "squares"

    def load(self, source):
        return super().load(np.asarray(source, dtype="float32") ** 2)
'''

BROKEN_PLUGIN = """
    raise RuntimeError("this plugin is broken on purpose")
"""


@pytest.fixture
def throwaway_plugins(tmp_path, monkeypatch, fresh_plugins, plugin_distribution):
    site = tmp_path / "site"
    plugin_distribution(site, "multissl-squares", "squares_plugin", GOOD_PLUGIN, "squares")
    plugin_distribution(site, "multissl-broken", "broken_plugin", BROKEN_PLUGIN, "broken")
    (site / "squares_modality.py").write_text(SQUARES_MODALITY)
    monkeypatch.syspath_prepend(str(site))
    return site


def _reports(plugins):
    return {r.name: r for r in plugins.plugin_reports()}


def test_throwaway_plugin_is_discovered_listed_and_usable_end_to_end(throwaway_plugins, fresh_plugins, quiet_trainer):
    with pytest.warns(PluginLoadWarning, match="broken"):
        fresh_plugins.reload()
    reports = _reports(fresh_plugins)
    assert reports["squares"].error is None
    assert reports["squares"].version == "0.3.1"
    assert reports["squares"].components == {"modality": ["squares"]}
    assert "RuntimeError: this plugin is broken on purpose" in reports["broken"].error
    assert reports["broken"].components == {}

    data = np.random.default_rng(0).normal(size=(40, 5))
    run = multissl.pretrain("squares", data, method="simclr", max_epochs=1, batch_size=16, **quiet_trainer)
    assert run.embed(data[:7]).shape == (7, run.method.encoder.output_dim)


def test_strict_switch_makes_a_failing_plugin_fatal(throwaway_plugins, fresh_plugins, monkeypatch):
    monkeypatch.setenv(fresh_plugins.STRICT_ENV, "1")
    with pytest.raises(PluginLoadError, match="broken"):
        fresh_plugins.reload()


def test_disable_switch_skips_named_plugins_without_importing_them(throwaway_plugins, fresh_plugins, monkeypatch, recwarn):
    monkeypatch.setenv(fresh_plugins.DISABLE_ENV, "broken, squares")
    fresh_plugins.reload()
    reports = _reports(fresh_plugins)
    assert reports["broken"].disabled and reports["broken"].error is None
    assert reports["squares"].disabled
    assert "squares" not in fresh_plugins.registry().names("modality")
    assert not [w for w in recwarn if issubclass(w.category, PluginLoadWarning)]
    assert "broken_plugin" not in sys.modules


def test_a_plugin_whose_hook_raises_is_reported_and_leaves_nothing_behind(fresh_plugins):
    class HalfBroken:
        @multissl.hookimpl
        def multissl_register(self, registry):
            registry.add_modality("half", "multissl.modalities.vectors:Vectors")
            raise ValueError("registration failed halfway")

    with pytest.warns(PluginLoadWarning, match="registration failed halfway"):
        report = fresh_plugins.host().add_plugin(HalfBroken(), "half")
    assert "ValueError" in report.error
    assert "half" not in fresh_plugins.registry().names("modality")


def test_cli_lists_plugins_as_json_without_importing_torch(throwaway_plugins):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(throwaway_plugins), *sys.path])}
    code = (
        "import sys, json\nfrom multissl.cli import main\nmain(['plugins', '--json'])\n"
        "print('TORCH_IMPORTED' if 'torch' in sys.modules else 'TORCH_NOT_IMPORTED')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    listing_text, marker = result.stdout.rsplit("\n", 2)[0], result.stdout.strip().splitlines()[-1]
    assert marker == "TORCH_NOT_IMPORTED"
    listing = {p["name"]: p for p in json.loads(listing_text)}
    installed = {ep.name for ep in importlib.metadata.entry_points(group="multissl")}  # the core alone in the lowest-versions job
    for name in ("core", "squares", "broken", *sorted({"speech", "graph", "tabular", "sensor", "recsys"} & installed)):
        assert name in listing, name
        assert set(listing[name]) >= {"name", "version", "components", "error"}
    assert listing["core"]["error"] is None
    assert "vectors" in listing["core"]["components"]["modality"]
    assert {"simclr", "vicreg"} <= set(listing["core"]["components"]["method"])
    assert "this plugin is broken on purpose" in listing["broken"]["error"]
    assert listing["squares"]["components"] == {"modality": ["squares"]}


def test_register_a_modality_defined_at_runtime(fresh_plugins, quiet_trainer):
    from multissl.modalities.vectors import Vectors

    class Doubled(Vectors):
        name = "doubled"

        def load(self, source):
            return super().load(np.asarray(source, dtype="float32") * 2)

    multissl.register(Doubled)
    fresh_plugins.registry().serve("vicreg", "doubled")
    data = np.random.default_rng(1).normal(size=(32, 4))
    run = multissl.pretrain("doubled", data, method="vicreg", max_epochs=1, batch_size=16, **quiet_trainer)
    assert run.embed(data).shape == (32, run.method.encoder.output_dim)
    assert "doubled" in fresh_plugins.registry().names("modality")
