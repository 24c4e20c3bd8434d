"""A frozen copy of the student that follows it by an exponential moving average."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterator

import torch
from torch import nn

from multissl.errors import InvalidDataError, RecipeError


class EMATeacher(nn.Module):
    """Momentum teacher of BYOL (Grill et al. 2020) and I-JEPA / T-JEPA (Assran et al. 2023; Thimonier et al. 2025).

    After each optimiser step: ``θ_t ← m·θ_t + (1 − m)·θ_s`` for every parameter, buffers copied from the
    student, with ``m`` rising from ``momentum_start`` to ``momentum_end`` over training: linearly (I-JEPA,
    T-JEPA) or along a half cosine (``schedule="cosine"``, BYOL: ``m = 1 − (1 − m_0)(cos(πk/K) + 1)/2``). The
    teacher gets no gradient and runs in eval mode (dropout off), whatever ``.train()`` is called with — the
    T-JEPA reference leaves its target encoder's dropout on; inside :meth:`batch_statistics` its batch-norm layers
    read the batch's statistics. The teacher starts as a copy of the student, or (``reinitialize=True``, BGRL's
    reference) from its own random draw: every submodule's ``reset_parameters()`` is called on the copy.
    """

    def __init__(
        self,
        student: nn.Module,
        momentum_start: float = 0.996,
        momentum_end: float = 1.0,
        schedule: str = "linear",
        reinitialize: bool = False,
    ):
        super().__init__()
        if schedule not in ("linear", "cosine"):
            raise RecipeError(f"EMATeacher schedule must be 'linear' or 'cosine', got {schedule!r}.")
        if not (0.0 <= momentum_start <= 1.0 and 0.0 <= momentum_end <= 1.0):
            raise RecipeError(
                f"EMATeacher momentum_start and momentum_end must lie in [0, 1], got {momentum_start} and {momentum_end}."
            )
        self.momentum_start = float(momentum_start)
        self.momentum_end = float(momentum_end)
        self.schedule = schedule
        self.teacher = copy.deepcopy(student).requires_grad_(False)
        if reinitialize:
            _reset_parameters(self.teacher)
        self.train(False)

    def train(self, mode: bool = True) -> EMATeacher:
        """Keep the teacher in eval mode: ``mode`` is ignored on purpose."""
        return super().train(False)

    def momentum(self, step: int, total_steps: int | float) -> float:
        """``m = start + (end − start) · p`` with ``p = clamp(step / total_steps, 0, 1)`` (linear) or
        ``p = (1 − cos(π·clamp(step / total_steps, 0, 1))) / 2`` (cosine)."""
        if total_steps <= 0:
            raise RecipeError(f"EMATeacher needs total_steps > 0 for its momentum schedule, got {total_steps}.")
        progress = min(max(step / total_steps, 0.0), 1.0)
        if self.schedule == "cosine":
            progress = (1.0 - math.cos(math.pi * progress)) / 2.0
        return self.momentum_start + (self.momentum_end - self.momentum_start) * progress

    @torch.no_grad()
    def update(self, student: nn.Module, step: int, total_steps: int | float) -> float:
        """Move the teacher towards ``student`` with the momentum of ``step``; returns that momentum."""
        momentum = self.momentum(step, total_steps)
        teacher_parameters, student_parameters = _matched(self.teacher.named_parameters(), student.named_parameters(), "parameters")
        teacher_buffers, student_buffers = _matched(self.teacher.named_buffers(), student.named_buffers(), "buffers")
        if teacher_parameters:
            torch._foreach_lerp_(teacher_parameters, student_parameters, 1.0 - momentum)
        if teacher_buffers:
            torch._foreach_copy_(teacher_buffers, student_buffers)
        return momentum

    @contextlib.contextmanager
    def batch_statistics(self) -> Iterator[None]:
        """Inside the block the teacher's batch-norm layers normalise with the batch's own statistics, as the target
        networks of BYOL and BGRL do (they run in training mode); dropout stays off. The running statistics this
        touches are the student's again after the next :meth:`update`."""
        norms = [module for module in self.teacher.modules() if isinstance(module, nn.modules.batchnorm._BatchNorm)]
        for module in norms:
            module.train(True)
        try:
            yield
        finally:
            for module in norms:
                module.train(False)

    def forward(self, *args, **kwargs):
        """The teacher's outputs, computed without building a graph."""
        with torch.no_grad():
            return self.teacher(*args, **kwargs)


def _reset_parameters(module: nn.Module) -> None:
    """A fresh random draw of ``module``'s parameters by each layer's ``reset_parameters()``; RecipeError when a
    parameter's own layer has none."""
    layers = [layer for layer in module.modules() if callable(getattr(layer, "reset_parameters", None))]
    redrawn = {id(parameter) for layer in layers for parameter in layer.parameters(recurse=False)}
    if kept := [name for name, parameter in module.named_parameters() if id(parameter) not in redrawn]:
        raise RecipeError(
            f"EMATeacher(reinitialize=True) cannot redraw {kept[:3]}: their module has no "
            "reset_parameters(). Give it one, or start the teacher as a copy (reinitialize=False)."
        )
    with torch.no_grad():
        for layer in layers:
            layer.reset_parameters()


def _matched(teacher_named, student_named, what: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Teacher and student tensors paired by name; InvalidDataError when names or shapes differ."""
    teacher = dict(teacher_named)
    student = dict(student_named)
    if teacher.keys() != student.keys():
        missing = sorted(teacher.keys() - student.keys())[:5]
        extra = sorted(student.keys() - teacher.keys())[:5]
        raise InvalidDataError(
            f"EMATeacher: the student's {what} do not match the teacher's (missing {missing}, unexpected {extra}). "
            "Update the teacher from the module it was built from."
        )
    mismatched = [name for name in teacher if teacher[name].shape != student[name].shape]
    if mismatched:
        name = mismatched[0]
        raise InvalidDataError(
            f"EMATeacher: {len(mismatched)} {what} differ in shape, e.g. {name!r}: teacher "
            f"{tuple(teacher[name].shape)} vs student {tuple(student[name].shape)}."
        )
    return list(teacher.values()), [student[name] for name in teacher]
