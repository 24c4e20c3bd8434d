"""Batch normalisation over the global batch under data parallelism, on every device (CPU included).

Lightning's ``sync_batchnorm`` turns each ``BatchNorm`` into ``torch.nn.SyncBatchNorm``, whose kernel runs
only on accelerators (and which DDP refuses on the CPU). :class:`GlobalBatchNorm` keeps that kernel there and, on the CPU (gloo), computes
the same statistics with differentiable all-reduces: mean ``μ = Σx / n`` and biased variance
``σ² = Σ(x - μ)² / n`` over every process's rows (Ioffe & Szegedy 2015, with the batch being the global
one), so two processes holding halves of a batch train as one process holding all of it.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from lightning.pytorch.plugins.layer_sync import TorchSyncBatchNorm
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


class _AllReduceSum(torch.autograd.Function):
    """Sum over processes; the backward pass sums the gradients likewise (each process's statistics feed all)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, group) -> torch.Tensor:
        ctx.group = group
        total = x.clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        total = grad.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM, group=ctx.group)
        return total, None


class GlobalBatchNorm(_BatchNorm):
    """BatchNorm over the global batch: torch's ``SyncBatchNorm`` kernel on accelerators, all-reduces on the CPU,
    plain BatchNorm in one process. Not a ``SyncBatchNorm`` subclass: DDP refuses those on the CPU."""

    process_group = None
    _original_class: type = nn.BatchNorm1d

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def _check_non_zero_input_channels(self, input: torch.Tensor) -> None:
        if input.size(1) == 0:
            raise ValueError("BatchNorm number of input channels should be non-zero")

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if input.device.type != "cpu":
            return nn.SyncBatchNorm.forward(self, input)
        group = self.process_group or (dist.group.WORLD if dist.is_available() and dist.is_initialized() else None)
        if not (self.training and group is not None and dist.get_world_size(group) > 1):
            return _BatchNorm.forward(self, input)
        self._check_input_dim(input)
        dims = [0, *range(2, input.dim())]
        shape = [1, input.shape[1], *([1] * (input.dim() - 2))]
        count = torch.tensor(float(input.numel() // max(input.shape[1], 1)), dtype=input.dtype)
        dist.all_reduce(count, group=group)
        n = count.clamp_min(1)
        mean = _AllReduceSum.apply(input.sum(dims), group) / n
        centred = input - mean.view(shape)
        var = _AllReduceSum.apply((centred * centred).sum(dims), group) / n
        output = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            output = output * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                unbiased = var.detach() * n / (n - 1).clamp_min(1)
                self.running_mean.mul_(1 - factor).add_(mean.detach(), alpha=factor)
                self.running_var.mul_(1 - factor).add_(unbiased, alpha=factor)
        return output


def convert_batchnorm(module: nn.Module) -> nn.Module:
    """``module`` with every ``BatchNorm*d`` turned into :class:`GlobalBatchNorm` in place (weights, statistics
    and state-dict keys unchanged)."""
    for child in module.modules():
        if isinstance(child, _BatchNorm) and not isinstance(child, GlobalBatchNorm | nn.SyncBatchNorm):
            child._original_class = type(child)
            child.__class__ = GlobalBatchNorm
    return module


def revert_batchnorm(module: nn.Module) -> nn.Module:
    """Undo :func:`convert_batchnorm`: each layer gets its own BatchNorm class back."""
    for child in module.modules():
        if isinstance(child, GlobalBatchNorm):
            child.__class__ = child._original_class
            del child._original_class
    return module


class GlobalBatchNormPlugin(TorchSyncBatchNorm):
    """Lightning's ``sync_batchnorm`` layer plugin with :class:`GlobalBatchNorm`; applied only by parallel strategies."""

    def apply(self, model: nn.Module) -> nn.Module:
        return convert_batchnorm(model)

    def revert(self, model: nn.Module) -> nn.Module:
        return revert_batchnorm(model)
