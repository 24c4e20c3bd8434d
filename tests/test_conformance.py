"""Every registered method: one fit step on its modality's example data, save, load, same embeddings."""

from __future__ import annotations

import numpy as np
import pytest

import multissl
from multissl.conformance import example_data, method_modality_pairs
from multissl.plugins import registry

PAIRS = method_modality_pairs()


@pytest.mark.parametrize(("method", "modality"), PAIRS, ids=[f"{m}-{mod}" for m, mod in PAIRS])
def test_method_fits_saves_loads_and_embeds_identically(method, modality, tmp_path):
    source = example_data(modality)
    run = multissl.pretrain(
        modality, source, method=method, max_epochs=1, batch_size=16,
        **{"trainer.limit_train_batches": 1, "trainer.enable_progress_bar": False},
    )
    embeddings = run.embed(source)
    assert embeddings.ndim == 2 and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def test_every_modality_offers_example_data():
    for name in registry().names("modality"):
        assert registry().get("modality", name)().example() is not None, name
