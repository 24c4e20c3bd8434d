"""Every hook is documented and tested: adding a hook without both fails here."""

from __future__ import annotations

import inspect

import pytest

import multissl
from multissl import hookspecs

HOOKS = sorted(name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("multissl_"))

# hook name -> the test that exercises it; a new hook must be added here with its test.
HOOK_TESTS = {
    "multissl_register": "test_multissl_register_hook_adds_components",
    "multissl_recipe_dirs": "test_multissl_recipe_dirs_hook_lists_shipped_recipes",
}


def test_hooks_exist():
    assert HOOKS, "no hooks found in multissl.hookspecs"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc.split()) >= 10, f"hook {hook} needs a docstring saying when it is called and what it returns"
    assert hook in (inspect.getdoc(hookspecs) or "") or "hookimpl" in (inspect.getdoc(hookspecs) or "")


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    assert hook in HOOK_TESTS, f"hook {hook} has no test: add one to tests/test_hookspecs.py and to HOOK_TESTS"
    assert HOOK_TESTS[hook] in globals(), f"{HOOK_TESTS[hook]} is named for {hook} but does not exist"


def test_hook_reference_documents_every_hook():
    from pathlib import Path

    reference = (Path(__file__).resolve().parents[1] / "docs" / "hooks.md").read_text()
    for hook in HOOKS:
        assert f"`{hook}" in reference, f"docs/hooks.md does not document {hook}"


def test_multissl_register_hook_adds_components(fresh_plugins):
    class Plugin:
        @multissl.hookimpl
        def multissl_register(self, registry):
            registry.add_evaluator("always_one", lambda embeddings, labels: {"one": 1.0}, summary="test")

    report = fresh_plugins.host().add_plugin(Plugin(), "always-one")
    assert report.error is None and report.components == {"evaluator": ["always_one"]}
    assert fresh_plugins.registry().get("evaluator", "always_one")(None, None) == {"one": 1.0}
    assert fresh_plugins.registry().entry("evaluator", "always_one").plugin == "always-one"


def test_multissl_recipe_dirs_hook_lists_shipped_recipes(fresh_plugins, tmp_path):
    (tmp_path / "my_recipe.yaml").write_text("modality: vectors\n")

    class Plugin:
        @multissl.hookimpl
        def multissl_recipe_dirs(self):
            return [str(tmp_path)]

    fresh_plugins.host().add_plugin(Plugin(), "recipes-only")
    dirs = fresh_plugins.host().recipe_dirs()
    assert str(tmp_path) in dirs
    from multissl.api import resolve_recipe_path

    assert resolve_recipe_path("my_recipe") == tmp_path / "my_recipe.yaml"
    assert resolve_recipe_path("breast_cancer_simclr").name == "breast_cancer_simclr.yaml"
