"""Embeddings with ids: ``Modality.sample_ids``, ``Run.embed(as_frame=True)`` and the ``id`` column of ``multissl embed``."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multissl
from multissl.cli import main
from multissl.errors import InvalidDataError

sys.path.insert(0, str(Path(__file__).parent))
import tiny  # noqa: E402


@pytest.fixture(scope="module")
def run():
    return multissl.pretrain("vectors", tiny.data(), method="simclr", max_epochs=1, batch_size=16, **tiny.OVERRIDES)


def test_a_dataframe_index_becomes_the_embedding_index(run):
    frame = pd.DataFrame(tiny.data(5, seed=1), columns=[f"f{i}" for i in range(6)], index=[f"row-{i}" for i in range(5)])
    embedded = run.embed(frame, as_frame=True)
    assert embedded.index.name == "id" and embedded.index.tolist() == [f"row-{i}" for i in range(5)]
    assert embedded.columns.tolist() == [f"e{i}" for i in range(8)]
    np.testing.assert_array_equal(embedded.to_numpy(), run.embed(frame))


def test_an_array_is_numbered_from_zero(run):
    embedded = run.embed(tiny.data(4, seed=2), as_frame=True)
    assert embedded.index.name == "id" and embedded.index.tolist() == [0, 1, 2, 3]


def test_ids_of_the_wrong_length_are_a_clear_error(run, monkeypatch):
    monkeypatch.setattr(type(run.modality), "sample_ids", lambda self, raw: ["only-one"])
    with pytest.raises(InvalidDataError, match="gave 1 ids for 3 embeddings"):
        run.embed(tiny.data(3), as_frame=True)


def test_multissl_embed_writes_the_ids_as_a_column(run, tmp_path):
    run.save(tmp_path / "run")
    rows = pd.DataFrame(tiny.data(3, seed=3), columns=[f"f{i}" for i in range(6)], index=pd.Index([7, 9, 11], name="key"))
    rows.to_parquet(tmp_path / "rows.parquet")
    assert main(["embed", str(tmp_path / "run"), str(tmp_path / "rows.parquet"), "-o", str(tmp_path / "z.csv")]) == 0
    written = pd.read_csv(tmp_path / "z.csv")
    assert written.columns[0] == "id" and written["id"].tolist() == [7, 9, 11]
    np.testing.assert_allclose(written.drop(columns="id").to_numpy(), run.embed(rows), rtol=1e-6)
