"""Registered dataset names: one rule for every modality.

A recipe's ``data.source`` may name a dataset a plugin registered (``multissl datasets``). Datasets
that ship with a package (scikit-learn's bundled tables) load as they are; the others live in a
folder under the *data root*: the recipe's ``data.root``, else the environment variable
``MULTISSL_DATA``. A name that is not found raises an error naming both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from multissl.errors import DatasetNotFoundError, RecipeError

DATA_ROOT_ENV = "MULTISSL_DATA"


def dataset_entry(source: Any, registry):
    """The registry entry ``source`` names, or ``None`` when ``source`` is not a registered dataset name."""
    if not isinstance(source, str) or source not in registry.names("dataset"):
        return None
    return registry.entry("dataset", source)


def check_dataset_modality(source: Any, modality: str, registry) -> None:
    """Raise when ``source`` names a dataset registered for another modality."""
    entry = dataset_entry(source, registry)
    if entry is not None and modality not in entry.modalities:
        names = [c.name for c in registry.entries("dataset") if modality in c.modalities]
        raise RecipeError(
            f"Dataset {source!r} is for modality {', '.join(entry.modalities)}, not {modality!r}. "
            f"Datasets for {modality!r}: {', '.join(names) or 'none'}."
        )


def dataset_options(source: Any, registry) -> dict[str, Any]:
    """Data options the dataset ``source`` names implies (e.g. its label column); ``{}`` for other sources."""
    entry = dataset_entry(source, registry)
    return dict(entry.details.get("options") or {}) if entry is not None else {}


def data_root(root: str | Path | None) -> Path | None:
    """The data root: ``root`` when given, else ``$MULTISSL_DATA``, else ``None``."""
    chosen = root if root is not None else os.environ.get(DATA_ROOT_ENV) or None
    return None if chosen is None else Path(chosen).expanduser()


def materialise(source: Any, modality: str, registry, root: str | Path | None = None) -> Any:
    """What the modality's ``load`` reads for ``source``: the registered dataset's data when ``source`` names
    one, ``source`` itself otherwise."""
    entry = dataset_entry(source, registry)
    if entry is None:
        return source
    check_dataset_modality(source, modality, registry)
    relative = entry.details.get("path")
    if relative is None:
        return entry.load()()
    base = data_root(root)
    if base is None:
        raise DatasetNotFoundError(
            f"Dataset {source!r} is read from <data root>/{relative}, and no data root is set. Set `data.root` in the "
            f"recipe (or `--set data.root=DIR`), or the environment variable {DATA_ROOT_ENV}=DIR, to the folder "
            f"that holds {relative}/."
        )
    folder = base / relative
    if not folder.exists():
        raise DatasetNotFoundError(
            f"Dataset {source!r} expects {folder}, which does not exist. The data root {base} comes from "
            f"{'data.root' if root is not None else DATA_ROOT_ENV}; point `data.root` or {DATA_ROOT_ENV} at the "
            f"folder that holds {relative}/."
        )
    return entry.load()(folder)

