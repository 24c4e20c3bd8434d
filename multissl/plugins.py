"""The plugin manager: safe entry-point loading, listing and blocking.

Plugins are modules named by entry points in the group ``multissl``. A plugin that fails to import
(or whose registration hook raises) is skipped with a :class:`~multissl.errors.PluginLoadWarning`
and reported by :func:`plugin_reports`; the host keeps running. Environment switches:

- ``MULTISSL_STRICT_PLUGINS=1`` makes such a failure fatal (:class:`~multissl.errors.PluginLoadError`);
- ``MULTISSL_DISABLE_PLUGINS=a,b`` skips the named plugins without importing them.

Nothing here imports torch: plugins register heavy components lazily.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from types import ModuleType

import pluggy

from multissl import hookspecs
from multissl.errors import PluginLoadError, PluginLoadWarning
from multissl.registry import Registry

ENTRY_POINT_GROUP = "multissl"
STRICT_ENV = "MULTISSL_STRICT_PLUGINS"
DISABLE_ENV = "MULTISSL_DISABLE_PLUGINS"


@dataclass
class PluginReport:
    """What one plugin is and did: its distribution version, registered names, and its error."""

    name: str
    version: str | None
    module: str
    components: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    disabled: bool = False

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "module": self.module,
            "components": self.components,
            "error": self.error,
            "disabled": self.disabled,
        }


class PluginHost:
    """A pluggy manager, the registry its plugins filled, and a report per plugin."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager(hookspecs.PROJECT)
        self.manager.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.reports: dict[str, PluginReport] = {}

    def load_entry_points(self) -> None:
        """Import and register every installed plugin, the core's own first."""
        disabled = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
        entry_points = sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name != "core", ep.name)
        )
        for ep in entry_points:
            version = ep.dist.version if ep.dist is not None else None
            report = PluginReport(ep.name, version, ep.value)
            if ep.name in self.reports:
                report.error = f"another installed plugin is already named {ep.name!r}; this one was skipped"
                self.reports[f"{ep.name} ({ep.value})"] = report
                continue
            self.reports[ep.name] = report
            if ep.name in disabled:
                report.disabled = True
                continue
            try:
                module = ep.load()
            except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is reported, not fatal
                self._fail(report, exc, "failed to import")
                continue
            self.add_plugin(module, ep.name, report)

    def add_plugin(self, plugin: ModuleType | object, name: str, report: PluginReport | None = None) -> PluginReport:
        """Register ``plugin`` (a module or object with hook implementations) and run its hooks."""
        report = report or self.reports.setdefault(name, PluginReport(name, None, repr(plugin)))
        try:
            self.manager.register(plugin, name=name)
            register = getattr(plugin, "multissl_register", None)
            if register is not None:
                self.registry.current_plugin = name
                try:
                    register(registry=self.registry)
                finally:
                    self.registry.current_plugin = ""
        except Exception as exc:  # noqa: BLE001 - a faulty plugin must not take the host down
            self._drop_components(name)  # components it replaced are given back
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            self._fail(report, exc, "failed to register")
            return report
        report.components = self.registry.by_plugin(name)
        missing = self._missing_modules(name)
        if missing:
            report.error = (
                f"registers components whose modules cannot be found: {'; '.join(missing)}. Using them raises "
                "ComponentImportError; install what the plugin needs"
            )
        return report

    def recipe_dirs(self) -> list[str]:
        """Every directory of example recipes the plugins declare."""
        return [d for dirs in self.manager.hook.multissl_recipe_dirs() for d in dirs]

    def _missing_modules(self, plugin: str) -> list[str]:
        """``"kind 'name' -> module"`` for each lazy component of ``plugin`` whose module cannot be found (checked
        without importing it)."""
        missing = []
        for component in self.registry.entries():
            if component.plugin == plugin and isinstance(component.target, str):
                module = component.target.partition(":")[0]
                if not _findable(module):
                    missing.append(f"{component.kind} {component.name!r} -> {module}")
        return missing

    def _drop_components(self, plugin: str) -> None:
        for kind, names in self.registry.by_plugin(plugin).items():
            for name in names:
                self.registry.remove(kind, name)

    def _fail(self, report: PluginReport, exc: BaseException, what: str) -> None:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        report.error = f"{what}: {detail}"
        if os.environ.get(STRICT_ENV, "") not in ("", "0"):
            raise PluginLoadError(
                f"Plugin {report.name!r} ({report.module}) {report.error}. Unset {STRICT_ENV} to skip failing "
                f"plugins, or add it to {DISABLE_ENV}."
            ) from exc
        warnings.warn(
            f"multissl plugin {report.name!r} ({report.module}) {report.error}; it was skipped. "
            f"`multissl plugins` lists it; set {DISABLE_ENV}={report.name} to silence this.",
            PluginLoadWarning,
            stacklevel=3,
        )


def _findable(module: str) -> bool:
    """Whether ``module`` can be imported, as far as is known without importing anything new: each package on
    its path must be found; below a package that is not imported yet, it is assumed present."""
    parts = module.split(".")
    for depth in range(1, len(parts) + 1):
        name, parent = ".".join(parts[:depth]), ".".join(parts[: depth - 1])
        if name in sys.modules:
            continue
        if parent and parent not in sys.modules:
            return True
        try:
            if importlib.util.find_spec(name) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


_host: PluginHost | None = None


def host() -> PluginHost:
    """The process-wide plugin host, built on first use."""
    global _host
    if _host is None:
        new_host = PluginHost()
        new_host.load_entry_points()
        _host = new_host
    return _host


def registry() -> Registry:
    """The process-wide registry, filled by every installed plugin."""
    return host().registry


def reload() -> PluginHost:
    """Forget the plugin host and rebuild it (after installing a plugin, or changing the switches).

    Components registered at runtime with :func:`multissl.register` are forgotten too.
    """
    global _host
    _host = None
    importlib.invalidate_caches()
    return host()


def plugin_reports() -> list[PluginReport]:
    """A report per installed plugin, in load order."""
    return list(host().reports.values())
