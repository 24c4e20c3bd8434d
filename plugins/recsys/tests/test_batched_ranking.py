"""Full ranking batched over users gives the unbatched metrics, and shows its progress on long evaluations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from multissl.errors import EmptyDataError, RecipeError
from multissl.eval.ranking import full_ranking_metrics
from multissl_recsys.datasets import movielens_small
from multissl_recsys.evaluation import long_tail_mask
from multissl_recsys.modality import Interactions, InteractionsOptions
from multissl_recsys.user_batched_ranking import batched_full_ranking


@pytest.fixture
def movielens(movielens_dir):
    """MovieLens latest-small split 80/20 per user, and seeded random 16-d user and item embeddings."""
    modality = Interactions(InteractionsOptions())
    raw = modality.load(movielens_small(movielens_dir))
    modality.fit(raw)
    generator = torch.Generator().manual_seed(0)
    users = torch.randn(len(modality.user_ids), 16, generator=generator)
    items = torch.randn(len(modality.item_ids), 16, generator=generator)
    return modality, raw, users, items


@pytest.mark.parametrize("tail", [False, True])
def test_batched_ranking_on_movielens_equals_ranking_every_user_at_once(movielens, tail):
    modality, raw, users, items = movielens
    train, test = modality.matrix(), modality.matrix(raw.test)
    mask = long_tail_mask(modality.item_popularity()) if tail else None
    whole = full_ranking_metrics(users, items, train, test, ks=(10, 20), chunk_size=len(users), item_mask=mask)
    for batch_users in (1, 37, 256, 10_000):
        batched = batched_full_ranking(users, items, train, test, ks=(10, 20), batch_users=batch_users, item_mask=mask, progress=False)
        assert batched["n_users"] == whole["n_users"] > 400
        assert batched == pytest.approx(whole, rel=1e-12, abs=1e-15), batch_users
    assert whole["recall@20"] > 0  # random vectors still hit a few held-out items: the comparison is not of zeros


def test_a_long_evaluation_shows_a_progress_bar_over_users(movielens, capsys):
    modality, raw, users, items = movielens
    test = modality.matrix(raw.test)
    batched_full_ranking(users, items, modality.matrix(), test, batch_users=16)
    evaluated = int((np.diff(test.indptr) > 0).sum())
    shown = capsys.readouterr().err
    assert "ranking" in shown and f"{evaluated}/{evaluated}" in shown and "user" in shown
    batched_full_ranking(users, items, modality.matrix(), modality.matrix(raw.test), batch_users=1024)
    assert "ranking" not in capsys.readouterr().err  # one block: nothing to follow


def test_bad_batch_sizes_and_empty_held_out_data_are_refused(movielens):
    modality, raw, users, items = movielens
    with pytest.raises(RecipeError, match="batch_users must be a positive integer"):
        batched_full_ranking(users, items, modality.matrix(), modality.matrix(raw.test), batch_users=0)
    empty = modality.matrix(raw.test) * 0
    with pytest.raises(EmptyDataError, match="No user has a test item"):
        batched_full_ranking(users, items, modality.matrix(), empty)
    assert np.isfinite(list(batched_full_ranking(users, items, modality.matrix(), modality.matrix(raw.test)).values())).all()
