"""ColloSSL's loss under data parallelism: two gloo processes give the one-process loss and gradients."""

from __future__ import annotations

import datetime

import torch
import torch.distributed as dist
from multissl_sensor.contrast import DeviceContrastiveLoss, pair_weights

N, DEVICES, FEATURES, SPLIT = 8, 3, 5, (5, 3)


def _case():
    """Windows (N, D, F), a linear encoder and global pair weights (N, N, D) drawn once."""
    generator = torch.Generator().manual_seed(0)
    windows = torch.randn(N, DEVICES, FEATURES, generator=generator)
    torch.manual_seed(0)
    encoder = torch.nn.Linear(FEATURES, 4)
    positive, negative = pair_weights(N, torch.tensor([0.0, 1.0, 0.0]), torch.tensor([0.0, 2.0, 0.5]), "unsync_neg", 2,
                                      torch.Generator().manual_seed(1))
    return windows, encoder, positive, negative


def _loss(encoder, windows, positive, negative):
    embeddings = encoder(windows)
    return DeviceContrastiveLoss(0.5)(embeddings[:, 0], embeddings, positive, negative)[0]


def _worker(rank: int, world_size: int, init_method: str, out: str) -> None:
    torch.set_num_threads(1)
    windows, encoder, positive, negative = _case()  # drawn before the group exists: the one-process weights
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=60))
    try:
        rows = slice(sum(SPLIT[:rank]), sum(SPLIT[: rank + 1]))
        loss = _loss(encoder, windows[rows], positive[rows], negative[rows])
        loss.backward()
        grad = encoder.weight.grad.clone()
        dist.all_reduce(grad)  # DDP averages gradients over processes
        torch.save({"loss": loss.detach(), "grad": grad / world_size}, f"{out}{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_processes_give_the_one_process_loss_and_gradient(tmp_path):
    windows, encoder, positive, negative = _case()
    loss = _loss(encoder, windows, positive, negative)
    loss.backward()
    torch.multiprocessing.start_processes(
        _worker, args=(2, f"file://{tmp_path / 'rendezvous'}", str(tmp_path / "rank")), nprocs=2, start_method="spawn",
    )
    for rank in range(2):
        result = torch.load(tmp_path / f"rank{rank}.pt")
        torch.testing.assert_close(result["loss"], loss.detach())
        torch.testing.assert_close(result["grad"], encoder.weight.grad)
