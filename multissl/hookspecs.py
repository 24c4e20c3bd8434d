"""The hooks a multissl plugin may implement.

A plugin is a module named by an entry point in the group ``multissl``; it implements hooks with
the :data:`hookimpl` marker. Every hook is documented here and has a test in
``tests/test_hookspecs.py`` (a test fails when a hook lacks either).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from multissl.registry import Registry

PROJECT = "multissl"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def multissl_register(registry: Registry) -> None:
    """Add this plugin's components to ``registry``.

    Call ``registry.add_modality``, ``add_method``, ``add_view``, ``add_encoder``,
    ``add_objective``, ``add_evaluator`` or ``add_dataset``. Register heavy objects lazily, as a
    ``"package.module:attribute"`` string, so that listing plugins imports nothing heavy. Called once
    per plugin when the plugin manager is built.
    """


@hookspec
def multissl_recipe_dirs() -> list[str]:
    """Directories holding example recipes (``*.yaml``) this plugin ships.

    ``multissl recipes`` lists them and ``multissl pretrain NAME`` accepts a recipe's file stem in
    place of a path. Return absolute paths (e.g. ``str(Path(__file__).parent / "recipes")``).
    """
