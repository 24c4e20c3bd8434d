"""multissl.distributed in one process (identity) and in two gloo processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from multissl import distributed

sys.path.insert(0, str(Path(__file__).parent / "objectives"))
import ddp_harness  # noqa: E402


def test_single_process_is_the_identity():
    x = torch.randn(4, 3, requires_grad=True)
    assert distributed.world_size() == 1 and distributed.rank() == 0
    assert distributed.gather_with_grad(x) is x
    assert distributed.local_slice(4) == slice(0, 4)
    total = distributed.all_reduce_sum(x)
    assert torch.equal(total, x.detach()) and not total.requires_grad


def test_global_mean_in_one_process():
    local_sum = torch.tensor(6.0, requires_grad=True)
    loss = distributed.global_mean(local_sum, torch.tensor(6.0), torch.tensor(3.0))
    loss.backward()
    assert loss.item() == 2.0 and local_sum.grad.item() == pytest.approx(1 / 3)
    empty = distributed.global_mean(local_sum * 0, torch.tensor(0.0), torch.tensor(0.0))
    assert empty.item() == 0.0 and empty.requires_grad


@pytest.fixture(scope="module")
def per_rank(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("distributed")
    ddp_harness.launch(ddp_harness.distributed_worker, out_dir, str(out_dir))
    return [torch.load(out_dir / f"rank{rank}.pt") for rank in range(ddp_harness.WORLD_SIZE)]


def test_world_size_and_rank(per_rank):
    assert [(r["world_size"], r["rank"]) for r in per_rank] == [(2, 0), (2, 1)]


def test_gather_concatenates_unequal_shards_in_rank_order(per_rank):
    expected = torch.cat([torch.arange(6.0).view(2, 3), torch.arange(9.0).view(3, 3) + 100])
    for result in per_rank:
        assert torch.equal(result["gathered"], expected)
    assert [r["local_slice"] for r in per_rank] == [(0, 2), (2, 5)]


def test_gather_backward_sums_every_rank_gradient_for_own_rows(per_rank):
    summed = 3 * torch.arange(5.0)[:, None].expand(5, 3)  # weights of rank 0 (x1) plus rank 1 (x2)
    assert torch.equal(per_rank[0]["grad"], summed[0:2])
    assert torch.equal(per_rank[1]["grad"], summed[2:5])


def test_gather_handles_a_rank_without_rows(per_rank):
    for result in per_rank:
        assert torch.equal(result["gathered_empty"], torch.ones(2, 3))
    assert per_rank[0]["grad_empty"].shape == (0, 3)
    assert torch.equal(per_rank[1]["grad_empty"], torch.full((2, 3), 2.0))


def test_all_reduce_sum_is_detached_and_leaves_its_input(per_rank):
    for rank, result in enumerate(per_rank):
        assert result["sum"].item() == 3.0 and not result["sum"].requires_grad
        assert result["total_after"].item() == rank + 1.0


def test_mismatched_shapes_raise_on_every_rank(per_rank):
    for result in per_rank:
        assert "shapes differ beyond the first" in result["mismatch"] and "(2, 3)" in result["mismatch"]


def test_a_process_launched_as_rank_one_trains_but_neither_saves_nor_evaluates(tmp_path, monkeypatch):
    """Under torchrun / srun every process runs ``pretrain``: only global rank 0 writes the run and evaluates it."""
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    import multissl

    monkeypatch.setattr(rank_zero_only, "rank", 1)
    assert not distributed.is_main_process()
    out = tmp_path / "run"
    run = multissl.pretrain("vectors", "breast_cancer", "simclr", max_epochs=1, output_dir=str(out),
                            evaluate={"evaluators": ["probe"]})
    assert run.metrics["train"]["steps"] > 0
    assert "evaluation" not in run.metrics
    assert not (out / "run.json").exists()
    monkeypatch.setattr(rank_zero_only, "rank", 0)
    assert distributed.is_main_process()
