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
    overrides: dict[str, Any] = {}
    if modality is not None:
        modality_cls = registry.get("modality", modality)
        name = next((c.name for c in registry.entries("method") if c.load() is method_cls), None)
        overrides = dict(modality_cls.method_defaults.get(name, {}))
    docs = field_docs(config)
    rows = []
    for field in dataclasses.fields(config):
        default = overrides[field.name] if field.name in overrides else field_default(config, field.name)
        rows.append({"name": field.name, "default": default, "doc": docs.get(field.name, "")})
    return rows


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
