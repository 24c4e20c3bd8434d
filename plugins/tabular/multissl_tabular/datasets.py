"""The shared tables by name (``multissl datasets``): each function receives the dataset's folder under the data root
(``data.root`` or ``MULTISSL_DATA``) and returns the file the ``tabular`` modality reads; the data options each
table implies (label column, missing-value markers, integer-coded categorical columns) are registered with it in
:mod:`multissl_tabular.plugin`, which stays importable without pandas or torch."""

from __future__ import annotations

from pathlib import Path

from multissl.errors import DatasetNotFoundError

def adult(folder: Path) -> Path:
    """UCI Adult, 48,842 x 15, binary target ``income``; missing values written as ``"?"``."""
    return _file(folder, "adult.parquet")


def california_housing(folder: Path) -> Path:
    """California housing, 20,640 x 9, regression target ``MedHouseVal`` (median house value, $100k)."""
    return _file(folder, "california_housing.parquet")


def mushroom(folder: Path) -> Path:
    """UCI Mushroom, 8,124 x 23, 22 categorical attributes as integer codes, binary ``target``."""
    return _file(folder, "mushroom.csv")


def heart_disease(folder: Path) -> Path:
    """UCI Heart disease (Cleveland), 304 x 14, mixed, binary ``target``."""
    return _file(folder, "heart_disease.csv")


def _file(folder: Path, name: str) -> Path:
    path = Path(folder) / name
    if not path.is_file():
        raise DatasetNotFoundError(f"{folder} has no {name}. Point the data root at the shared datasets folder.")
    return path
