"""Named components by kind: the one table every plugin writes into and every lookup reads.

A component is registered with a *target*: either the object itself or a lazy reference
``"package.module:attribute"`` that is imported only when the component is first used, so listing
what is installed never imports a plugin's heavy modules (torch among them).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from multissl.errors import ComponentImportError, RecipeError, UnknownComponentError, did_you_mean

KINDS = ("modality", "input", "view", "encoder", "objective", "method", "evaluator", "dataset")


@dataclass
class Component:
    """One registry entry. ``modalities`` says which modalities a method or dataset serves."""

    kind: str
    name: str
    target: Any
    summary: str = ""
    modalities: tuple[str, ...] = ()
    plugin: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    """Kind-specific facts readable without importing the target: a modality's ``default_method`` and
    ``evaluators``; a dataset's ``path`` under the data root and its default data ``options``."""
    _resolved: Any = field(default=None, repr=False)
    replaced: Component | None = field(default=None, repr=False)
    """The component this one replaced (``replace=True``), given back if its plugin fails."""

    def load(self) -> Any:
        """The registered object, importing a lazy ``"module:attribute"`` reference on first use."""
        if self._resolved is None:
            if isinstance(self.target, str):
                module_name, _, attribute = self.target.partition(":")
                try:
                    obj = importlib.import_module(module_name)
                    for part in attribute.split("."):
                        obj = getattr(obj, part)
                except (ImportError, AttributeError) as exc:
                    raise ComponentImportError(
                        f"{self.kind} {self.name!r}, registered by plugin {self.plugin or 'the runtime'!r} as "
                        f"{self.target!r}, cannot be imported: {exc}. Install what that plugin needs (or reinstall it), "
                        f"or skip the plugin with MULTISSL_DISABLE_PLUGINS={self.plugin or '<name>'}."
                    ) from exc
                self._resolved = obj
            else:
                self._resolved = self.target
        return self._resolved


class Registry:
    """Components by kind and name. Plugins call the ``add_*`` methods from their hook."""

    def __init__(self) -> None:
        self._components: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
        self.current_plugin = ""

    def add(
        self,
        kind: str,
        name: str,
        target: Any,
        *,
        summary: str = "",
        modalities: Iterable[str] = (),
        replace: bool = False,
        details: dict[str, Any] | None = None,
    ) -> Component:
        """Register ``target`` (an object or ``"module:attribute"``) as ``name`` of ``kind``.

        A second registration of the same name raises unless ``replace=True``: two plugins must not
        silently shadow each other.
        """
        if kind not in KINDS:
            raise RecipeError(f"Unknown component kind {kind!r}.{did_you_mean(kind, KINDS)} Kinds: {', '.join(KINDS)}.")
        if not name or not isinstance(name, str):
            raise RecipeError(f"A {kind} needs a non-empty string name, got {name!r}.")
        if isinstance(target, str) and ":" not in target:
            raise RecipeError(f"Lazy target {target!r} for {kind} {name!r} must look like 'package.module:attribute'.")
        table = self._components[kind]
        if name in table and not replace:
            owner = table[name].plugin or "the runtime"
            raise RecipeError(
                f"{kind} {name!r} is already registered by {owner}. Pick another name, or pass replace=True "
                "to override it on purpose."
            )
        component = Component(kind, name, target, summary, tuple(modalities), self.current_plugin, dict(details or {}))
        component.replaced = table.get(name)
        table[name] = component
        return component

    def add_modality(
        self,
        name: str,
        target: Any,
        *,
        summary: str = "",
        default_method: str | None = None,
        evaluators: Iterable[str] = (),
    ) -> Component:
        """Register a modality class (see :class:`multissl.modalities.base.Modality`).

        ``default_method`` is the method ``pretrain(modality, data)`` uses when none is named (its most
        reliable label-free method); ``evaluators`` are the evaluators ``multissl evaluate`` and a recipe's
        ``evaluate:`` block run when none are named.
        """
        details = {"default_method": default_method, "evaluators": list(evaluators)}
        return self.add("modality", name, target, summary=summary, details=details)

    def add_input(self, name: str, target: Any, *, summary: str = "") -> Component:
        """Register a generic-method input (see :class:`multissl.methods.generic_input.GenericInput`): how a
        modality's batches become what the core's generic methods alter, encode and reconstruct."""
        return self.add("input", name, target, summary=summary)

    def add_view(self, name: str, target: Any, *, summary: str = "") -> Component:
        """Register a view generator class (see :class:`multissl.views.base.ViewGenerator`)."""
        return self.add("view", name, target, summary=summary)

    def add_encoder(self, name: str, target: Any, *, summary: str = "") -> Component:
        """Register an encoder class (an ``nn.Module`` with ``output_dim`` and ``embed``)."""
        return self.add("encoder", name, target, summary=summary)

    def add_objective(self, name: str, target: Any, *, summary: str = "") -> Component:
        """Register an objective class (an ``nn.Module`` returning ``(loss, logs)``)."""
        return self.add("objective", name, target, summary=summary)

    def add_method(self, name: str, target: Any, *, modalities: Iterable[str], summary: str = "") -> Component:
        """Register a method class (see :class:`multissl.methods.base.Method`) for the named modalities."""
        return self.add("method", name, target, summary=summary, modalities=modalities)

    def add_evaluator(self, name: str, target: Any, *, modalities: Iterable[str] = (), summary: str = "") -> Component:
        """Register an evaluator class (see :class:`multissl.eval.evaluator.Evaluator`) for the named
        modalities (none: every modality)."""
        return self.add("evaluator", name, target, summary=summary, modalities=modalities)

    def add_dataset(
        self,
        name: str,
        target: Any,
        *,
        modality: str,
        summary: str = "",
        path: str | None = None,
        options: dict[str, Any] | None = None,
    ) -> Component:
        """Register a dataset: a callable returning what the modality's ``load`` accepts.

        ``path`` is the dataset's folder relative to the data root (``data.root`` or ``MULTISSL_DATA``);
        the callable then receives that folder. Without ``path`` the data ships with a package and the
        callable takes no argument. ``options`` are data options the dataset implies (e.g. its
        ``label_column``), applied where the recipe does not set them.
        """
        details = {"path": path, "options": dict(options or {})}
        return self.add("dataset", name, target, summary=summary, modalities=(modality,), details=details)

    def default_method(self, modality: str) -> str | None:
        """The method ``modality`` names as its default, or ``None``."""
        return self.entry("modality", modality).details.get("default_method")

    def default_evaluators(self, modality: str) -> list[str]:
        """The evaluators ``modality`` runs when none are named (the core's ``probe`` when it names none)."""
        return list(self.entry("modality", modality).details.get("evaluators") or ["probe"])

    def remove(self, kind: str, name: str) -> None:
        """Forget ``name`` of ``kind`` (used to undo a plugin whose registration failed halfway); a component
        that replaced another gives the previous one back."""
        component = self.entry(kind, name)
        if component.replaced is not None:
            self._components[kind][name] = component.replaced
        else:
            del self._components[kind][name]

    def serve(self, method: str, modality: str) -> None:
        """Declare that the registered ``method`` also works on ``modality`` (e.g. ``simclr`` on sensors)."""
        component = self.entry("method", method)
        if modality not in component.modalities:
            component.modalities = (*component.modalities, modality)

    def entry(self, kind: str, name: str) -> Component:
        """The :class:`Component` entry; unknown names raise with close matches and the known names."""
        table = self._components.get(kind)
        if table is None:
            raise RecipeError(f"Unknown component kind {kind!r}.{did_you_mean(kind, KINDS)} Kinds: {', '.join(KINDS)}.")
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise UnknownComponentError(
                f"No {kind} named {name!r} is registered.{did_you_mean(name, table)} Known {kind}s: {known}. "
                "Run `multissl plugins` to see what each installed plugin registers and any load errors."
            )
        return table[name]

    def get(self, kind: str, name: str) -> Any:
        """The registered object (imported now if it was registered lazily)."""
        return self.entry(kind, name).load()

    def names(self, kind: str) -> list[str]:
        """Sorted names registered for ``kind``."""
        return sorted(self._components[kind])

    def entries(self, kind: str | None = None) -> list[Component]:
        """All entries, or those of one kind, sorted by kind then name."""
        kinds = KINDS if kind is None else (kind,)
        return [self._components[k][n] for k in kinds for n in sorted(self._components[k])]

    def methods_for(self, modality: str) -> list[Component]:
        """Methods registered for ``modality``."""
        return [c for c in self.entries("method") if modality in c.modalities]

    def by_plugin(self, plugin: str) -> dict[str, list[str]]:
        """``{kind: [names]}`` of what ``plugin`` registered."""
        listing: dict[str, list[str]] = {}
        for component in self.entries():
            if component.plugin == plugin:
                listing.setdefault(component.kind, []).append(component.name)
        return listing

