"""The registry: lazy targets, unknown names with close matches, duplicates, method-modality links."""

from __future__ import annotations

import sys

import pytest

from multissl.errors import RecipeError, UnknownComponentError
from multissl.registry import Registry


def test_lazy_targets_import_only_when_used():
    registry = Registry()
    registry.add_objective("fake", "json.decoder:JSONDecoder")
    assert registry.entry("objective", "fake")._resolved is None
    import json.decoder

    assert registry.get("objective", "fake") is json.decoder.JSONDecoder


def test_unknown_name_suggests_close_matches_and_lists_known():
    registry = Registry()
    registry.add_method("simclr", object, modalities=["vectors"])
    registry.add_method("vicreg", object, modalities=["vectors"])
    with pytest.raises(UnknownComponentError, match=r"Did you mean 'simclr'\?.*Known methods: simclr, vicreg"):
        registry.get("method", "simclrr")


def test_duplicate_names_are_refused_unless_replaced():
    registry = Registry()
    registry.add_view("noise", object)
    with pytest.raises(RecipeError, match="already registered"):
        registry.add_view("noise", dict)
    registry.add("view", "noise", dict, replace=True)
    assert registry.get("view", "noise") is dict


def test_bad_kind_and_bad_lazy_target_are_errors():
    registry = Registry()
    with pytest.raises(RecipeError, match="Did you mean 'method'"):
        registry.add("methd", "x", object)
    with pytest.raises(RecipeError, match="module:attribute"):
        registry.add_encoder("x", "not_a_lazy_target")


def test_serve_links_an_existing_method_to_another_modality():
    registry = Registry()
    registry.add_method("simclr", object, modalities=["vectors"])
    registry.serve("simclr", "sensor")
    assert [c.name for c in registry.methods_for("sensor")] == ["simclr"]


def test_the_core_registry_does_not_import_torch_to_list():
    import subprocess

    code = "import sys, multissl.plugins as p; p.registry().names('method'); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
