"""MarginalCorruption (SCARF): corrupted values come from the same column of another (valid) row."""

from __future__ import annotations

import pytest
import torch

from multissl.errors import InvalidDataError
from multissl.views import MarginalCorruption


def _labelled(n: int, length: int) -> torch.Tensor:
    """x[i, j] = 10000 i + j, so a value tells its row and column."""
    return (10_000 * torch.arange(n)[:, None] + torch.arange(length)).double()


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.6, 1.0])
def test_corrupts_exactly_round_ratio_times_length_positions(ratio, seeded):
    view = MarginalCorruption(ratio=ratio)(torch.randn(16, 13), seeded(0))
    assert (view.mask.sum(dim=1) == round(ratio * 13)).all()


def test_replacements_come_from_the_same_column_of_another_row(seeded):
    x = _labelled(32, 10)
    view = MarginalCorruption(ratio=0.6)(x, seeded(0))
    rows, columns = view.mask.nonzero(as_tuple=True)
    values = view.data[rows, columns]
    assert torch.equal(values.remainder(10_000).long(), columns)
    assert ((values // 10_000).long() != rows).all()
    assert torch.equal(view.data[~view.mask], x[~view.mask])


def test_donors_are_spread_over_the_other_rows(seeded):
    x = _labelled(8, 4000)
    view = MarginalCorruption(ratio=0.5)(x, seeded(0))
    donors = (view.data[0][view.mask[0]] // 10_000).long()
    counts = torch.bincount(donors, minlength=8)
    assert counts[0] == 0 and (counts[1:] > 2000 / 7 * 0.8).all(), counts


def test_sequences_take_the_donor_frame_whole(seeded):
    x = _labelled(6, 12)[:, :, None] + torch.tensor([0.0, 0.25, 0.5])
    view = MarginalCorruption(ratio=0.5)(x, seeded(0))
    frames = view.data[view.mask]
    assert torch.equal(frames - frames[:, :1], torch.tensor([0.0, 0.25, 0.5]).expand_as(frames))


def test_donors_are_rows_where_the_position_is_valid(seeded):
    x = _labelled(10, 6)
    valid = torch.ones(10, 6, dtype=torch.bool)
    valid[5:, 3:] = False  # rows 5..9 are padded from position 3 on
    valid[1:, 5] = False  # position 5 is valid in row 0 only: it cannot be corrupted
    view = MarginalCorruption(ratio=1.0)(x, seeded(0), valid=valid)
    rows, columns = view.mask.nonzero(as_tuple=True)
    donors = (view.data[rows, columns] // 10_000).long()
    assert valid[donors, columns].all() and (donors != rows).all()
    assert not view.mask[:, 5].any() and view.mask[:5, :5].all()


def test_a_single_row_batch_is_refused(seeded):
    with pytest.raises(InvalidDataError, match="at least 2 rows"):
        MarginalCorruption()(torch.randn(1, 5), seeded(0))
