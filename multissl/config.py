"""Dataclass-based option checking: unknown keys are named with the allowed ones; types are checked.

Every options block of a recipe (trainer, loader, optimizer, a method's or a modality's options) is
a dataclass; :func:`build_options` turns a mapping into one, or raises :class:`RecipeError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

from multissl.errors import RecipeError, did_you_mean


def build_options(cls: type, values: dict[str, Any] | None, where: str) -> Any:
    """An instance of dataclass ``cls`` from ``values``; ``where`` names the block in messages."""
    values = dict(values or {})
    if not isinstance(values, dict):
        raise RecipeError(f"{where} must be a mapping of options, got {type(values).__name__}.")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in values if k not in fields]
    if unknown:
        hints = "".join(did_you_mean(k, fields) for k in unknown)
        raise RecipeError(
            f"Unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)} in {where}.{hints} "
            f"Allowed keys: {', '.join(sorted(fields)) or 'none'}."
        )
    hints_by_name = typing.get_type_hints(cls)
    checked = {name: check_type(value, hints_by_name[name], f"{where}.{name}") for name, value in values.items()}
    return cls(**checked)


def field_default(cls: type, name: str) -> Any:
    """The default of dataclass ``cls``'s field ``name`` (a fresh one from its factory); ``None`` when ``cls`` has no
    such field or the field has no default."""
    field = next((f for f in dataclasses.fields(cls) if f.name == name), None) if dataclasses.is_dataclass(cls) else None
    if field is None:
        return None
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return None if field.default is dataclasses.MISSING else field.default


def options_as_dict(options: Any) -> dict[str, Any]:
    """A dataclass instance as a plain dict (lists for tuples), for writing a resolved recipe."""
    return {f.name: _plain(getattr(options, f.name)) for f in dataclasses.fields(options) if f.init}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def check_type(value: Any, expected: Any, where: str) -> Any:
    """``value`` converted to ``expected`` where lossless (int -> float, list -> tuple), else RecipeError."""
    origin = typing.get_origin(expected)
    args = typing.get_args(expected)
    if expected is Any:
        return value
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        # the value's own type first: ``1.0`` for ``int | float`` stays the fraction 1.0, not the count 1
        for option in sorted(options, key=lambda a: type(value) is not a):
            try:
                return check_type(value, option, where)
            except RecipeError:
                continue
        raise RecipeError(f"{where}: {value!r} is not {_describe(expected)}.")
    if origin is Literal:
        if value in args:
            return value
        raise RecipeError(f"{where}: {value!r} is not one of {', '.join(repr(a) for a in args)}.{did_you_mean(str(value), map(str, args))}")
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise RecipeError(f"{where}: expected a list, got {value!r}.")
        item_type = args[0] if args else Any
        items = [check_type(v, item_type, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise RecipeError(f"{where}: expected a mapping, got {value!r}.")
        return dict(value)
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise RecipeError(f"{where}: expected true or false, got {value!r}.")
    if expected is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise RecipeError(f"{where}: expected a number, got {value!r}.")
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise RecipeError(f"{where}: expected an integer, got {value!r}.")
    if expected is str:
        if isinstance(value, str):
            return value
        raise RecipeError(f"{where}: expected a string, got {value!r}.")
    if isinstance(expected, type) and not isinstance(value, expected):
        raise RecipeError(f"{where}: expected {expected.__name__}, got {value!r}.")
    return value


def _describe(expected: Any) -> str:
    args = [a for a in typing.get_args(expected) if a is not type(None)]
    names = [getattr(a, "__name__", str(a)) for a in args]
    return " or ".join(names) + (" or null" if type(None) in typing.get_args(expected) else "")
