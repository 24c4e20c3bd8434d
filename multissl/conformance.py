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
