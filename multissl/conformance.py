"""The inputs every registered method is checked on: each (method, modality) pair it offers, and the
modality's example data. Shared by the conformance tests, the CUDA parity tests and ``benchmarks/gpu/check.py``."""

from __future__ import annotations

from typing import Any

from multissl.plugins import registry


def method_modality_pairs() -> list[tuple[str, str]]:
    """``(method, modality)`` for every registered method and each modality it supports, in registry order."""
    return [(entry.name, modality) for entry in registry().entries("method") for modality in entry.modalities]


def example_data(modality: str) -> Any:
    """The small in-memory example the modality ships (``Modality.example()``), which it loads like user data."""
    return registry().get("modality", modality)().example()


GENERIC_METHODS = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
"""The methods the core writes once for every data type; a modality offers them by supplying views and an encoder."""


def generic_pairs() -> list[tuple[str, str]]:
    """``(method, modality)`` for every generic method and each modality that serves it."""
    return [(method, modality) for method, modality in method_modality_pairs() if method in GENERIC_METHODS]


def method_and_batch(method: str, modality: str, batch_size: int = 16) -> tuple[Any, dict[str, Any]]:
    """``method`` built for ``modality`` (with its ``method_defaults``) on the fitted example data, and the first
    training batch of that data, without a trainer: for checks of one loss call."""
    from multissl.recipe import resolve

    reg = registry()
    recipe = resolve({"modality": modality, "data": {"source": example_data(modality)}, "method": method}, reg)
    data = reg.get("modality", modality)(recipe.data)
    raw = data.load(recipe.source)
    data.fit(raw)
    loader = data.dataloader(data.dataset(raw), batch_size=batch_size, shuffle=False, drop_last=False, num_workers=0, seed=0)
    built = reg.get("method", method)(recipe.method_options, data.input_spec(), recipe.optimizer, 0)
    return built, next(iter(loader))
