"""A method's recipe options as users read them: name, default, one-line doc (``multissl methods --options``)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from typing import Any

from multissl.config import field_default


def method_options(method_cls: type, registry, modality: str | None = None) -> list[dict[str, Any]]:
    """``[{"name", "default", "doc"}]`` for each field of ``method_cls.Config``; with ``modality``, its
    ``method_defaults`` for the method replace the class defaults. The doc is the field's attribute docstring
    (the string literal under it), else the first sentence of the class docstring that names it, else ''."""
    config = getattr(method_cls, "Config", None)
    if config is None or not dataclasses.is_dataclass(config):
        return []
    defaults: dict[str, Any] = {}
    if modality is not None:
        name = next((c.name for c in registry.entries("method") if c.load() is method_cls), None)
        defaults = registry.get("modality", modality).method_defaults.get(name, {})
    docs = field_docs(config)
    return [
        {"name": field.name, "default": option_default(config, defaults, field.name), "doc": docs.get(field.name, "")}
        for field in dataclasses.fields(config)
    ]


def option_default(config: type, modality_defaults: dict[str, Any], option: str) -> Any:
    """What a recipe that does not set the method option ``option`` gets: the modality's ``method_defaults`` value for
    the method, else the ``Config`` field's default."""
    return modality_defaults[option] if option in modality_defaults else field_default(config, option)


def field_docs(config: type) -> dict[str, str]:
    """Attribute docstrings of a dataclass and its bases (the subclass's win), first line of each."""
    docs: dict[str, str] = {}
    for cls in reversed(config.__mro__):
        if cls is object:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for statement, following in zip(body, body[1:]):
            if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                    and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                docs[statement.target.id] = " ".join(following.value.value.strip().split("\n\n")[0].split())
    return docs
