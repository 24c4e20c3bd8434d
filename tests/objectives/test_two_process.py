"""Two gloo processes, each holding half of a global batch, match one process holding all of it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
import ddp_harness  # noqa: E402

CASES = [(name, split) for name in ddp_harness.CASES for split in ddp_harness.SPLITS]


@pytest.fixture(scope="module")
def per_rank(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("two_process")
    ddp_harness.launch(ddp_harness.objectives_worker, out_dir, str(out_dir))
    return [torch.load(out_dir / f"rank{rank}.pt") for rank in range(ddp_harness.WORLD_SIZE)]


@pytest.mark.parametrize(("name", "split"), CASES)
def test_two_processes_match_one(per_rank, name, split):
    single = ddp_harness.run_case(name, slice(None))
    for rank, results in enumerate(per_rank):
        result = results[name, split]
        close(result["loss"], single["loss"], f"loss on rank {rank}")
        assert result["logs"].keys() == single["logs"].keys()
        for key, value in single["logs"].items():
            close(result["logs"][key], value, f"log {key} on rank {rank}")
        for key, grad in single["grads"].items():
            close(result["grads"][key], grad, f"grad {key} on rank {rank}")


def close(actual, expected, what):
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5, msg=lambda detail: f"{what}: {detail}")
