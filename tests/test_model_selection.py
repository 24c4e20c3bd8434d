"""trainer.select_by: rankme keeps the epoch whose embeddings had the highest RankMe, and says which."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch

import multissl
from multissl.errors import RecipeError

OPTIONS = {
    "method.encoder_options": {"hidden_dims": [16], "output_dim": 8}, "method.projector_dims": [8],
    "trainer.enable_progress_bar": False, "trainer.log_every_n_steps": 1,
}


def _rankme_by_epoch(output_dir) -> dict[int, float]:
    rows = csv.DictReader(next(output_dir.glob("logs/version_*/metrics.csv")).open())
    return {int(row["epoch"]) + 1: float(row["collapse/rankme"]) for row in rows if row.get("collapse/rankme")}


def test_rankme_selection_keeps_the_epoch_with_the_highest_rankme(tmp_path):
    run = multissl.pretrain(
        "vectors", "wine", method="vicreg", max_epochs=5, batch_size=32, output_dir=tmp_path / "run",
        **{**OPTIONS, "trainer.select_by": "rankme"},
    )
    by_epoch = _rankme_by_epoch(tmp_path / "run")
    assert sorted(by_epoch) == [1, 2, 3, 4, 5]
    best = max(by_epoch, key=by_epoch.get)
    assert run.metrics["train"]["selected_epoch"] == best
    assert run.metrics["train"]["selected_rankme"] == pytest.approx(by_epoch[best], rel=1e-5)
    kept = torch.load(tmp_path / "run" / "checkpoints" / "rankme.ckpt", weights_only=True)["state_dict"]
    for name, value in run.method.state_dict().items():
        torch.testing.assert_close(value, kept[name])
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed("wine"), run.embed("wine"))


def test_select_by_is_validated_before_training():
    with pytest.raises(RecipeError, match="select_by"):
        multissl.pretrain("vectors", "wine", method="vicreg", max_epochs=1, **{**OPTIONS, "trainer.select_by": "loss"})
    with pytest.raises(RecipeError, match="set one"):
        multissl.pretrain(
            "vectors", "wine", method="vicreg", max_epochs=1,
            **{**OPTIONS, "trainer.select_by": "rankme", "trainer.restore_best": True, "loader.val_fraction": 0.2},
        )
