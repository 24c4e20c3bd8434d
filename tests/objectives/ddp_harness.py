"""Run a function in two gloo processes and fixed objective cases for the two-process tests.

Imported by plain module name (tests put this folder on ``sys.path``) so that spawned children can
unpickle the workers defined here.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from multissl import objectives

WORLD_SIZE = 2
N_GLOBAL = 8
SPLITS = {"equal": (4, 4), "unequal": (5, 3)}


def launch(worker, tmp_path: Path, *args) -> None:
    """Run ``worker(rank, world_size, *args)`` in two spawned processes joined by a gloo group."""
    torch.multiprocessing.start_processes(
        _init_then_run,
        args=(WORLD_SIZE, f"file://{tmp_path / 'rendezvous'}", worker, args),
        nprocs=WORLD_SIZE,
        start_method="spawn",
    )


def _init_then_run(rank: int, world_size: int, init_method: str, worker, args) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=init_method, rank=rank, world_size=world_size, timeout=datetime.timedelta(seconds=60)
    )
    try:
        worker(rank, world_size, *args)
    finally:
        dist.destroy_process_group()


def rows_of(rank: int, split: tuple[int, ...]) -> slice:
    start = sum(split[:rank])
    return slice(start, start + split[rank])


def _data(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _linear(n_in: int, n_out: int) -> nn.Linear:
    torch.manual_seed(0)
    return nn.Linear(n_in, n_out)


def _two_views(objective):
    def case(rows: slice):
        model = _linear(5, 4)
        x1, x2 = _data(N_GLOBAL, 5, seed=1)[rows], _data(N_GLOBAL, 5, seed=2)[rows]
        return model, objective(model(x1), model(x2))

    return case


def _infonce_views(rows: slice):
    model = _linear(5, 4)
    query, keys = _data(N_GLOBAL, 5, seed=1)[rows], _data(N_GLOBAL, 3, 5, seed=2)[rows]
    positive = torch.rand(N_GLOBAL, 3, generator=torch.Generator().manual_seed(3))
    positive[::3, 1] = 0.0
    negative = torch.tensor([1.0, 0.5, 2.0])
    loss = objectives.InfoNCE(temperature=0.3)
    return model, loss(model(query), model(keys), positive_weights=positive[rows], negative_weights=negative)


def _infonce_pair_weights(rows: slice):
    model = _linear(5, 4)
    query, keys = _data(N_GLOBAL, 5, seed=1)[rows], _data(N_GLOBAL, 2, 5, seed=2)[rows]
    negative = torch.rand(N_GLOBAL, N_GLOBAL, 2, generator=torch.Generator().manual_seed(3))
    negative[negative < 0.5] = 0.0  # each anchor its own subset of negatives, as ColloSSL's shuffled ones
    loss = objectives.InfoNCE(temperature=0.3)
    return model, loss(model(query), model(keys), negative_weights=negative[rows])


def _sequence_inputs(rows: slice, n_out: int):
    model = _linear(3, n_out)
    mask = _data(N_GLOBAL, 6, seed=4) > 0
    mask[5:] = False  # in the 5/3 split, one rank has no masked frame at all
    return model, model(_data(N_GLOBAL, 6, 3, seed=1)[rows]), mask[rows]


def _masked_reconstruction(rows: slice):
    model, prediction, mask = _sequence_inputs(rows, 3)
    return model, objectives.MaskedReconstruction("l2")(prediction, _data(N_GLOBAL, 6, 3, seed=5)[rows], mask)


def _masked_cluster_prediction(rows: slice):
    model, logits, mask = _sequence_inputs(rows, 4)
    codes = torch.randint(0, 4, (N_GLOBAL, 6), generator=torch.Generator().manual_seed(6))[rows]
    valid = torch.ones(N_GLOBAL, 6, dtype=torch.bool)
    valid[1::2, 4:] = False
    return model, objectives.MaskedClusterPrediction(unmasked_weight=0.5)(logits, codes, mask, valid[rows])


def _latent_prediction(loss: str, masked: bool):
    def case(rows: slice):
        model, prediction, mask = _sequence_inputs(rows, 3)
        objective = objectives.LatentPrediction(loss, beta=0.5)
        return model, objective(prediction, _data(N_GLOBAL, 6, 3, seed=5)[rows], mask if masked else None)

    return case


CASES = {
    "infonce": _two_views(objectives.InfoNCE(temperature=0.2)),
    "infonce_weighted_views": _infonce_views,
    "infonce_pair_weights": _infonce_pair_weights,
    "ntxent": _two_views(objectives.NTXent(temperature=0.5)),
    "barlow_twins": _two_views(objectives.BarlowTwins()),
    "vicreg": _two_views(objectives.VICReg()),
    "masked_reconstruction": _masked_reconstruction,
    "masked_cluster_prediction": _masked_cluster_prediction,
    "latent_prediction_mse": _latent_prediction("mse", masked=True),
    "latent_prediction_smooth_l1": _latent_prediction("smooth_l1", masked=False),
}


def run_case(name: str, rows: slice) -> dict:
    """Loss value, logs and parameter gradients of case ``name`` on the global rows ``rows``."""
    model, (loss, logs) = CASES[name](rows)
    loss.backward()
    return {
        "loss": loss.detach(),
        "logs": {key: value.clone() for key, value in logs.items()},
        "grads": {key: p.grad.clone() for key, p in model.named_parameters()},
    }


def objectives_worker(rank: int, world_size: int, out_dir: str) -> None:
    """Every case on this rank's rows, with gradients averaged over ranks as DDP does."""
    results = {}
    for name in CASES:
        for split_name, split in SPLITS.items():
            result = run_case(name, rows_of(rank, split))
            for grad in result["grads"].values():
                dist.all_reduce(grad)
                grad /= world_size
            results[name, split_name] = result
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


def distributed_worker(rank: int, world_size: int, out_dir: str) -> None:
    """Exercise multissl.distributed on shards of 2 and 3 rows; record what each rank sees."""
    from multissl import distributed
    from multissl.errors import DistributedError

    n_local = 2 + rank
    x = (torch.arange(n_local * 3.0).view(n_local, 3) + 100 * rank).requires_grad_()
    gathered = distributed.gather_with_grad(x)
    own_rows = distributed.local_slice(n_local)
    weights = (rank + 1) * torch.arange(5.0)[:, None].expand(5, 3)  # each rank weighs the rows differently
    (gathered * weights).sum().backward()
    total = torch.tensor(rank + 1.0, requires_grad=True)
    empty_or_not = torch.ones(rank * 2, 3, requires_grad=True)  # rank 0 holds no rows
    gathered_empty = distributed.gather_with_grad(empty_or_not)
    gathered_empty.sum().backward()
    try:
        distributed.gather_with_grad(torch.zeros(2, 3 + rank))
        mismatch = "no error"
    except DistributedError as error:
        mismatch = str(error)
    results = {
        "world_size": distributed.world_size(),
        "rank": distributed.rank(),
        "gathered": gathered.detach(),
        "grad": x.grad,
        "local_slice": (own_rows.start, own_rows.stop),
        "sum": distributed.all_reduce_sum(total),
        "total_after": total.detach(),
        "gathered_empty": gathered_empty.detach(),
        "grad_empty": empty_or_not.grad,
        "mismatch": mismatch,
    }
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


METHODS = ("simclr", "vicreg")


def method_step(name: str, rows: slice, sync_batchnorm: bool) -> dict:
    """One training step of a whole core method (MLP encoder and projector with BatchNorm) on the global rows
    ``rows``: loss, parameter gradients and BatchNorm running means. The two views add fixed noise per row,
    so every split of the batch sees the same views."""
    from types import SimpleNamespace

    from multissl.engine.sync_batchnorm import convert_batchnorm
    from multissl.plugins import registry

    method_cls = registry().get("method", name)
    config = method_cls.Config(encoder_options={"hidden_dims": [6], "output_dim": 4}, projector_dims=[6, 4])
    torch.manual_seed(0)
    method = method_cls(config, {"input_dim": 5})
    if sync_batchnorm:
        method = convert_batchnorm(method)
    method.train()
    noise = iter([_data(N_GLOBAL, 5, seed=7)[rows], 0.5 * _data(N_GLOBAL, 5, seed=8)[rows]])
    method.views = [lambda x, generator, valid: SimpleNamespace(data=x + next(noise), mask=None)]
    loss, logs = method._total_loss({"x": _data(N_GLOBAL, 5, seed=1)[rows]})
    loss.backward()
    return {
        "loss": loss.detach(),
        "grads": {key: p.grad.clone() for key, p in method.named_parameters() if p.grad is not None},
        "running_means": {key: b.clone() for key, b in method.named_buffers() if key.endswith("running_mean")},
    }


def method_worker(rank: int, world_size: int, out_dir: str) -> None:
    """:func:`method_step` of every method and split, with and without synchronised BatchNorm, on this rank's rows."""
    results = {}
    for name in METHODS:
        for split_name, split in SPLITS.items():
            for sync in (True, False):
                result = method_step(name, rows_of(rank, split), sync)
                for grad in result["grads"].values():
                    dist.all_reduce(grad)
                    grad /= world_size
                results[name, split_name, sync] = result
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")
