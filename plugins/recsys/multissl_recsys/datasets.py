"""Readers of the shared recommendation datasets into sources the ``interactions`` modality loads.

Both return a dict whose interaction tables use the column names ``user``, ``item`` (and ``rating``,
``timestamp`` for MovieLens), so the modality's defaults read them (set ``rating_column`` and
``timestamp_column`` to use those).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from multissl.errors import InvalidDataError


def movielens_small(root: str | Path) -> dict[str, pd.DataFrame]:
    """MovieLens latest-small (Harper & Konstan 2015): ratings, and item features ``genres`` (multi-valued),
    ``tags`` (multi-valued, lower-cased, from tags.csv) and ``year`` (numeric, from the title)."""
    root = _folder(root, ("ratings.csv", "movies.csv", "tags.csv"))
    ratings = pd.read_csv(root / "ratings.csv").rename(columns={"userId": "user", "movieId": "item"})
    movies = pd.read_csv(root / "movies.csv")
    tags = pd.read_csv(root / "tags.csv")
    tags["tag"] = tags["tag"].astype(str).str.strip().str.lower().str.replace("|", " ", regex=False)
    joined = tags.drop_duplicates(["movieId", "tag"]).groupby("movieId")["tag"].agg(lambda t: "|".join(sorted(t)))
    items = pd.DataFrame(
        {
            "item": movies["movieId"],
            "genres": movies["genres"].str.replace("(no genres listed)", "none", regex=False),
            "tags": movies["movieId"].map(joined),
            "year": pd.to_numeric(movies["title"].str.extract(r"\((\d{4})\)\s*$")[0], errors="coerce"),
        }
    )
    return {"interactions": ratings, "item_features": items}


def gowalla(root: str | Path) -> dict[str, pd.DataFrame]:
    """Gowalla as split by LightGCN (He et al. 2020): lines ``user item item ...`` in train.txt and test.txt."""
    root = _folder(root, ("train.txt", "test.txt"))
    return {"train": _adjacency_lists(root / "train.txt"), "test": _adjacency_lists(root / "test.txt")}


def _adjacency_lists(path: Path) -> pd.DataFrame:
    users, items = [], []
    for line in path.read_text().splitlines():
        fields = line.split()
        users += [fields[0]] * (len(fields) - 1)
        items += fields[1:]
    return pd.DataFrame({"user": users, "item": items})


def _folder(root: str | Path, files: tuple[str, ...]) -> Path:
    root = Path(root)
    missing = [f for f in files if not (root / f).is_file()]
    if missing:
        raise InvalidDataError(f"{root} lacks {missing}; point to the dataset folder that holds {list(files)}.")
    return root
