"""Which rows of a streamed table each process and DataLoader worker trains on in one epoch.

The row groups, in the epoch's order, form one sequence of ``N`` rows. Rank ``r`` of ``W`` takes the contiguous
range ``[⌊rN/W⌋, ⌊(r+1)N/W⌋)`` (balanced by rows, not by files: sizes differ by at most one row), cut into batches
of ``B`` rows; worker ``k`` of ``K`` takes the contiguous batches ``[⌊kS/K⌋, ⌊(k+1)S/K⌋)``. Every rank takes the
same number of steps ``S``, computed from the smallest range ``n = ⌊N/W⌋`` (Lightning's collectives hang when one
rank takes a step more):

- ``drop_last``: ``S = ⌊n/B⌋`` batches of ``B`` rows; the rest of each range is left out this epoch (other rows
  the next, since the row-group order changes);
- otherwise ``S = ⌈n/B⌉``, or one less when that would leave a last batch of one row: the last batch takes every
  remaining row of the range (up to ``B + 2``), so every row is seen exactly once per epoch.

``torch.utils.data.DistributedSampler`` balances by padding with repeated samples instead, and needs random access.
"""

from __future__ import annotations

import dataclasses
import math

from multissl.errors import RecipeError


@dataclasses.dataclass(frozen=True)
class RowSlice:
    """Rows ``[start, stop)`` of row group ``piece`` (an index into the table's row groups)."""

    piece: int
    start: int
    stop: int


def steps_per_rank(n_rows: int, world: int, batch_size: int, drop_last: bool) -> int:
    """``S``, the batches every rank takes in an epoch (module docstring)."""
    smallest = n_rows // world
    if smallest < 2:
        raise RecipeError(
            f"{n_rows} rows over {world} processes leave fewer than 2 rows per process; training compares rows "
            "within a batch. Use fewer processes (trainer.devices) or more data."
        )
    if drop_last:
        steps = smallest // batch_size
        if steps == 0:
            raise RecipeError(
                f"loader.batch_size={batch_size} exceeds the {smallest} rows each of the {world} processes reads, and "
                "loader.drop_last=true leaves no batch. Lower loader.batch_size or set loader.drop_last=false."
            )
        return steps
    steps = math.ceil(smallest / batch_size)
    return steps - 1 if steps > 1 and smallest % batch_size == 1 else steps


def worker_slices(
    piece_rows: list[int], order: list[int], *, rank: int, world: int, worker: int, workers: int,
    batch_size: int, drop_last: bool,
) -> tuple[list[RowSlice], int]:
    """The row slices (in read order) and the number of batches of worker ``worker`` on rank ``rank``.

    ``piece_rows``: rows per row group; ``order``: the epoch's row-group order."""
    n_rows = sum(piece_rows)
    steps = steps_per_rank(n_rows, world, batch_size, drop_last)
    rank_start, rank_stop = rank * n_rows // world, (rank + 1) * n_rows // world
    first, last = worker * steps // workers, (worker + 1) * steps // workers
    start = rank_start + first * batch_size
    stop = rank_start + last * batch_size
    if last == steps:
        stop = rank_start + steps * batch_size if drop_last else rank_stop
    return _slices(piece_rows, order, start, stop), last - first


def _slices(piece_rows: list[int], order: list[int], start: int, stop: int) -> list[RowSlice]:
    """Rows ``[start, stop)`` of the sequence of row groups in ``order``, as slices of those row groups."""
    slices, offset = [], 0
    for piece in order:
        rows = piece_rows[piece]
        low, high = max(start, offset), min(stop, offset + rows)
        if low < high:
            slices.append(RowSlice(piece, low - offset, high - offset))
        offset += rows
        if offset >= stop:
            break
    return slices
