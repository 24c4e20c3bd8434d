"""Collectives that objectives need under data parallelism; each is a no-op in a single process.

Every function here except :func:`world_size` and :func:`rank` is a collective when the world size is
above one: all processes must call it, in the same order.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

from multissl.errors import DistributedError, InvalidDataError

_MAX_DIMS = 15  # shapes are exchanged as fixed-length integer vectors


def world_size() -> int:
    """Number of processes in the default group; 1 when torch.distributed is not initialised."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank in the default group; 0 when torch.distributed is not initialised."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """Whether this is the job's first process (global rank 0): from the process group when it is initialised, else
    from the launcher's environment as Lightning reads it (``RANK``, ``LOCAL_RANK``, ``SLURM_PROCID``), so it holds
    before training and after it under ``torchrun`` or ``srun``, where every process runs the whole command."""
    if world_size() > 1:
        return rank() == 0
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    """Sum of ``x`` over all processes, detached (``x`` itself is left unchanged)."""
    if world_size() == 1:
        return x.detach()
    total = x.detach().clone()
    dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def local_slice(n_local: int, device: torch.device | str | None = None) -> slice:
    """Where this process's ``n_local`` rows sit in a tensor made by :func:`gather_with_grad`.

    ``device`` holds the small tensor exchanged (default: CUDA under NCCL, else CPU).
    """
    if world_size() == 1:
        return slice(0, n_local)
    if device is None:
        device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
    sizes = _first_dims(torch.tensor([n_local], device=device), torch.Size([n_local]))
    start = sum(sizes[: rank()])
    return slice(start, start + n_local)


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` from all processes along dim 0, in rank order, keeping gradients.

    The first dimension may differ between processes; the others must agree. In the backward pass
    each process receives, for its own rows, the sum of the gradients all processes computed for
    those rows, so that DDP's gradient averaging yields the gradient of the global loss.
    """
    if world_size() == 1:
        return x
    if x.dim() == 0:
        raise InvalidDataError("gather_with_grad expects a tensor with a batch dimension, got a scalar.")
    sizes = _first_dims(x, x.shape)
    return _GatherWithGrad.apply(x, sizes)


def global_mean(local_sum: torch.Tensor, global_sum: torch.Tensor, global_count: torch.Tensor) -> torch.Tensor:
    """A loss worth ``global_sum / global_count`` whose gradient, once DDP averages it, is the global mean's.

    ``local_sum`` is this process's sum (with grad), ``global_sum`` and ``global_count`` its all-reduced
    totals. The gradient part is ``local_sum * world_size / global_count``; the detached remainder
    makes the value global. An empty selection (count 0) gives zero, still connected to the graph.
    """
    count = global_count.clamp_min(1)
    grad_part = local_sum * world_size() / count
    return grad_part + (global_sum / count - grad_part).detach()


def _first_dims(x: torch.Tensor, shape: torch.Size) -> list[int]:
    """First-dimension sizes on every process; raise if the other dimensions disagree."""
    if len(shape) > _MAX_DIMS:
        raise InvalidDataError(
            f"Tensors exchanged between processes may have at most {_MAX_DIMS} dims, got {len(shape)}."
        )
    meta = torch.full((_MAX_DIMS + 1,), -1, dtype=torch.long, device=x.device)
    meta[0] = len(shape)
    meta[1 : len(shape) + 1] = torch.tensor(shape, dtype=torch.long)
    gathered = [torch.empty_like(meta) for _ in range(world_size())]
    dist.all_gather(gathered, meta)
    shapes = [tuple(m[1 : int(m[0]) + 1].tolist()) for m in gathered]
    if any(s[1:] != shapes[0][1:] for s in shapes):
        raise DistributedError(
            f"Processes hold tensors whose shapes differ beyond the first (batch) dimension: {shapes} "
            "(by rank). Every process must produce the same per-sample shape."
        )
    return [s[0] for s in shapes]


class _GatherWithGrad(torch.autograd.Function):
    """all_gather forward; backward all-reduces (SUM) the whole gradient and keeps this rank's rows.

    Not ``torch.distributed.nn.functional.all_gather``: on gloo (checked with torch 2.13) it works but
    is deprecated (FutureWarning), needs equal sizes on every rank, and its non-NCCL backward emulates
    reduce-scatter with all_to_all. One all_reduce exists on every backend; padding handles unequal sizes.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        ctx.sizes = sizes
        ctx.rank = rank()
        padded = x.new_zeros((max(sizes), *x.shape[1:]))
        padded[: x.shape[0]] = x
        chunks = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(chunks, padded)
        return torch.cat([chunk[:n] for chunk, n in zip(chunks, sizes)])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        total = grad.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        start = sum(ctx.sizes[: ctx.rank])
        return total[start : start + ctx.sizes[ctx.rank]], None
