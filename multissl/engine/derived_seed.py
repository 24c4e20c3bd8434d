"""Seeds derived from several integers (a run's seed, an epoch, a rank, a worker), for data orders that must be
the same in every process and after a restart."""

from __future__ import annotations

import numpy as np


def derived_seed(*entropy: int) -> int:
    """A 63-bit seed from integers via ``numpy.random.SeedSequence`` (nearby inputs give unrelated seeds); each is
    taken modulo 2**64, as SeedSequence takes non-negative integers and recipes allow any seed."""
    state = np.random.SeedSequence([value % 2**64 for value in entropy]).generate_state(1, dtype=np.uint64)[0]
    return int(state) >> 1  # a Python int: numpy 1.x refuses uint64 >> int
