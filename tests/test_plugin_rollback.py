"""A failing plugin gives back what it replaced; a lazy component whose module is missing is reported and
fails with an error naming the plugin and the module."""

from __future__ import annotations

import pytest

import multissl
from multissl.errors import ComponentImportError, PluginLoadWarning


def test_a_failing_plugin_that_replaced_a_core_modality_restores_it(fresh_plugins):
    core_vectors = fresh_plugins.registry().get("modality", "vectors")

    class ReplacesThenFails:
        @multissl.hookimpl
        def multissl_register(self, registry):
            registry.add("modality", "vectors", "multissl.modalities.base:Modality", replace=True)
            raise ValueError("failed after replacing vectors")

    with pytest.warns(PluginLoadWarning, match="failed after replacing vectors"):
        fresh_plugins.host().add_plugin(ReplacesThenFails(), "replacer")
    assert fresh_plugins.registry().get("modality", "vectors") is core_vectors
    assert fresh_plugins.registry().entry("modality", "vectors").plugin == "core"
    listing = {r.name: r.components for r in fresh_plugins.plugin_reports()}
    assert "vectors" in listing["core"]["modality"] and listing["replacer"] == {}


def test_a_lazy_component_whose_module_is_missing_is_reported_and_named_when_used(fresh_plugins):
    class PointsNowhere:
        @multissl.hookimpl
        def multissl_register(self, registry):
            registry.add_encoder("ghost", "multissl_no_such_package.encoders:Ghost")

    report = fresh_plugins.host().add_plugin(PointsNowhere(), "ghostly")
    assert "multissl_no_such_package.encoders" in report.error and "'ghost'" in report.error
    with pytest.raises(ComponentImportError, match="ghostly.*multissl_no_such_package"):
        fresh_plugins.registry().get("encoder", "ghost")


def test_a_missing_attribute_is_named_too(fresh_plugins):
    fresh_plugins.registry().add_encoder("typo", "multissl.encoders.mlp:MLPEncodr")
    with pytest.raises(ComponentImportError, match="MLPEncodr"):
        fresh_plugins.registry().get("encoder", "typo")


def test_every_installed_plugin_points_at_modules_that_exist(fresh_plugins):
    broken = {r.name: r.error for r in fresh_plugins.plugin_reports() if r.error and "cannot be found" in r.error}
    assert broken == {}
