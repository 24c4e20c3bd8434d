"""The training loader's order depends on (seed, epoch) only, and a loaded position skips what was taken."""

from __future__ import annotations

import torch

from multissl.engine.resumable_loader import EpochShuffleSampler, ResumableDataLoader


def loader(seed: int = 0) -> ResumableDataLoader:
    return ResumableDataLoader(torch.arange(20), sampler=EpochShuffleSampler(20, seed), batch_size=4)


def epoch(batches) -> list[list[int]]:
    return [batch.tolist() for batch in batches]


def test_each_epoch_is_a_permutation_fixed_by_seed_and_epoch():
    first, second = loader(), loader()
    second.sampler.set_epoch(1)
    epoch_one = epoch(second)
    assert sorted(sum(epoch(first), [])) == list(range(20))
    assert epoch(first) != epoch_one, "epochs are shuffled differently"
    again = loader()
    again.sampler.set_epoch(1)
    assert epoch(again) == epoch_one, "an epoch's order needs no earlier epoch"
    assert epoch(loader(seed=1)) != epoch(loader(seed=0))
    shifted = loader(seed=1)  # seed 0 epoch 1 is not seed 1 epoch 0
    assert epoch(shifted) != epoch_one
    assert sorted(sum(epoch(loader(seed=-3)), [])) == list(range(20)), "any integer seed"


def test_a_loaded_position_continues_the_epoch_and_a_later_epoch_starts_afresh():
    original = loader()
    original.sampler.set_epoch(3)
    whole = epoch(original)
    taken = iter(original)
    next(taken), next(taken)
    state = original.state_dict()
    assert state == {"epoch": 3, "batches": 2}

    resumed = loader()
    resumed.load_state_dict(state)
    resumed.sampler.set_epoch(3)
    assert epoch(resumed) == whole[2:]
    assert len(resumed) == 5, "the length stays the whole epoch's"

    finished = loader()
    finished.load_state_dict({"epoch": 3, "batches": 5})
    finished.sampler.set_epoch(4)
    following = loader()
    following.sampler.set_epoch(4)
    assert epoch(finished) == epoch(following)


def test_a_look_at_an_earlier_epoch_leaves_the_position_for_its_own_epoch():
    resumed = loader()
    resumed.load_state_dict({"epoch": 2, "batches": 3})
    next(iter(resumed))  # e.g. a callback sampling batches before Lightning sets the epoch
    resumed.sampler.set_epoch(2)
    expected = loader()
    expected.sampler.set_epoch(2)
    assert epoch(resumed) == epoch(expected)[3:]


class Stream(torch.utils.data.IterableDataset):
    """Batches 0..5 of a stream that draws no indices (a streamed table)."""

    def __iter__(self):
        return iter(torch.arange(6))


def test_a_stream_resumed_inside_an_epoch_reads_and_drops_what_was_taken():
    original = ResumableDataLoader(Stream(), batch_size=None)
    taken = iter(original)
    next(taken), next(taken)
    resumed = ResumableDataLoader(Stream(), batch_size=None)
    resumed.load_state_dict(original.state_dict())
    assert [int(batch) for batch in resumed] == [2, 3, 4, 5]
    assert [int(batch) for batch in resumed] == list(range(6)), "the next epoch starts at its beginning"
