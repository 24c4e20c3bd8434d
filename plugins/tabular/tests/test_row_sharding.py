"""Row sharding of a streamed table: over every rank and worker, no row twice, every row once unless drop_last,
and the same number of steps on every rank."""

from __future__ import annotations

import itertools
import random

import pytest
from multissl_tabular.row_sharding import steps_per_rank, worker_slices

from multissl.errors import RecipeError


def _rows(slices, piece_rows):
    starts = [sum(piece_rows[:i]) for i in range(len(piece_rows))]
    return [starts[s.piece] + row for s in slices for row in range(s.start, s.stop)]


@pytest.mark.parametrize("world, workers", [(1, 1), (1, 2), (2, 1), (2, 3), (3, 2), (4, 4)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_row_at_most_once_and_equal_steps_on_every_rank(world, workers, drop_last):
    rng = random.Random(world * 10 + workers)
    for piece_rows, batch_size in [([30, 30, 30, 10, 57, 64, 64, 22], 32), ([7, 1000, 3], 64), ([5] * 40, 16), ([301], 7)]:
        order = list(range(len(piece_rows)))
        rng.shuffle(order)
        n = sum(piece_rows)
        steps = steps_per_rank(n, world, batch_size, drop_last)
        seen = []
        for rank in range(world):
            batches_of_rank = 0
            for worker in range(workers):
                slices, batches = worker_slices(piece_rows, order, rank=rank, world=world, worker=worker, workers=workers,
                                                batch_size=batch_size, drop_last=drop_last)
                rows = _rows(slices, piece_rows)
                if drop_last or batches == 0:
                    assert len(rows) == batches * batch_size
                else:  # batches of batch_size rows, then a last one of 2 to batch_size + 2 rows
                    assert (batches - 1) * batch_size + 2 <= len(rows) <= batches * batch_size + 2
                seen += rows
                batches_of_rank += batches
            assert batches_of_rank == steps
        assert len(seen) == len(set(seen))
        if drop_last:
            assert len(seen) == world * steps * batch_size
        else:
            assert sorted(seen) == list(range(n))


def test_the_last_batch_takes_a_lone_row():
    assert steps_per_rank(65, 1, 32, drop_last=False) == 2  # 32 + 33, not 32 + 32 + 1
    assert steps_per_rank(64, 1, 32, drop_last=False) == 2
    assert steps_per_rank(66, 1, 32, drop_last=False) == 3
    assert steps_per_rank(131, 2, 32, drop_last=True) == 2


def test_too_few_rows_for_the_processes_is_refused():
    with pytest.raises(RecipeError, match="drop_last=false"):
        steps_per_rank(100, 2, 64, drop_last=True)
    with pytest.raises(RecipeError, match="fewer than 2 rows per process"):
        steps_per_rank(3, 2, 64, drop_last=False)


def test_rows_are_balanced_by_count_not_by_file():
    piece_rows = [1000, 10, 10, 10]  # one big file, three small ones
    for order in itertools.permutations(range(4)):
        sizes = [len(_rows(worker_slices(piece_rows, list(order), rank=r, world=2, worker=0, workers=1, batch_size=10,
                                         drop_last=False)[0], piece_rows)) for r in range(2)]
        assert sizes == [515, 515]
