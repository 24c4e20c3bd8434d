"""Build views, encoders and objectives named in a method's options, through the registry."""

from __future__ import annotations

from typing import Any

from torch import nn

from multissl.errors import RecipeError


def _registry():
    from multissl.plugins import registry

    return registry()


def build_view(specs: list[dict[str, Any]]):
    """A view generator from ``[{"name": "random_mask", "ratio": 0.3}, ...]`` (several are composed)."""
    generators = build_views(specs)
    if len(generators) == 1:
        return generators[0]
    return _registry().get("view", "compose")(*generators)


def build_views(specs: list[dict[str, Any]]) -> list:
    """The view generators named in ``specs``, in order (applied one after another by
    :func:`multissl.methods.generic_input.apply_views`)."""
    generators = []
    for spec in specs:
        if not isinstance(spec, dict) or "name" not in spec:
            raise RecipeError(f"Each view is a mapping with a 'name', e.g. {{name: gaussian_noise, std: 0.1}}; got {spec!r}.")
        options = {k: v for k, v in spec.items() if k != "name"}
        cls = _registry().get("view", spec["name"])
        try:
            generators.append(cls(**options))
        except TypeError as exc:
            raise RecipeError(f"View {spec['name']!r} rejected its options {options}: {exc}") from exc
    return generators


def build_input(name: str, input_spec: dict[str, Any]):
    """The registered generic-method input ``name`` (see :mod:`multissl.methods.generic_input`) for ``input_spec``."""
    return _registry().get("input", name)(**input_spec)


def build_encoder(name: str, input_spec: dict[str, Any], options: dict[str, Any]):
    """The encoder ``name`` for data described by ``input_spec`` (e.g. ``input_dim``), with ``options``."""
    cls = _registry().get("encoder", name)
    try:
        return cls(**input_spec, **options)
    except TypeError as exc:
        raise RecipeError(f"Encoder {name!r} rejected the options {options}: {exc}") from exc


def build_objective(name: str, options: dict[str, Any]):
    """The objective ``name`` with ``options``."""
    cls = _registry().get("objective", name)
    try:
        return cls(**options)
    except TypeError as exc:
        raise RecipeError(f"Objective {name!r} rejected the options {options}: {exc}") from exc


def projection_mlp(input_dim: int, dims: list[int]) -> nn.Module:
    """Projection head ``input_dim -> dims[0] -> ... -> dims[-1]``, BatchNorm + ReLU between layers (SimCLR)."""
    layers: list[nn.Module] = []
    width = input_dim
    for i, out in enumerate(dims):
        layers.append(nn.Linear(width, out))
        if i < len(dims) - 1:
            layers += [nn.BatchNorm1d(out), nn.ReLU()]
        width = out
    return nn.Sequential(*layers) if layers else nn.Identity()
