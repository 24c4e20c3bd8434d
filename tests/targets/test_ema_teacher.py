"""EMATeacher: momentum schedule, the update equation, eval mode, no gradients, mismatched students."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from multissl.errors import InvalidDataError, RecipeError
from multissl.targets import EMATeacher


def _student() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Dropout(0.5), nn.Linear(5, 2))


def test_momentum_rises_linearly_and_is_clamped():
    teacher = EMATeacher(nn.Linear(2, 2), momentum_start=0.9, momentum_end=1.0)
    assert teacher.momentum(0, 10) == pytest.approx(0.9)
    assert teacher.momentum(5, 10) == pytest.approx(0.95)
    assert teacher.momentum(10, 10) == pytest.approx(1.0)
    assert teacher.momentum(25, 10) == pytest.approx(1.0)
    assert teacher.momentum(-3, 10) == pytest.approx(0.9)
    assert EMATeacher(nn.Linear(2, 2)).momentum(0, 100) == pytest.approx(0.996)


def test_update_moves_parameters_by_the_ema_equation_and_copies_buffers():
    student = _student()
    ema = EMATeacher(student, momentum_start=0.8, momentum_end=1.0)
    before = {name: p.clone() for name, p in ema.teacher.named_parameters()}
    with torch.no_grad():
        for p in student.parameters():
            p.add_(torch.randn_like(p))
    student.train()(torch.randn(8, 3))  # moves the BatchNorm running statistics
    momentum = ema.update(student, step=5, total_steps=10)
    assert momentum == pytest.approx(0.9)
    for name, p in student.named_parameters():
        expected = 0.9 * before[name] + 0.1 * p
        torch.testing.assert_close(dict(ema.teacher.named_parameters())[name], expected)
    for name, buffer in student.named_buffers():
        torch.testing.assert_close(dict(ema.teacher.named_buffers())[name], buffer)


def test_teacher_is_a_copy_that_does_not_follow_the_student_until_updated():
    student = _student()
    ema = EMATeacher(student)
    with torch.no_grad():
        student[0].weight.add_(1.0)
    assert not torch.equal(ema.teacher[0].weight, student[0].weight)
    ema.update(student, step=10, total_steps=10)  # momentum 1.0: the teacher stays put
    assert not torch.equal(ema.teacher[0].weight, student[0].weight)


def test_teacher_stays_in_eval_mode_inside_a_training_module():
    parent = nn.ModuleDict({"student": _student(), "teacher": EMATeacher(_student())})
    parent.train()
    assert parent["student"].training
    assert not any(module.training for module in parent["teacher"].modules())
    x = torch.randn(16, 3)
    torch.testing.assert_close(parent["teacher"](x), parent["teacher"](x))  # dropout off, batch-norm frozen


def test_batch_statistics_normalise_each_batch_by_itself_with_dropout_still_off():
    ema = EMATeacher(_student())
    x = 3.0 + 2.0 * torch.randn(64, 3)  # far from the running statistics (mean 0, variance 1)
    with ema.batch_statistics():
        inside = ema(x)
        hidden = ema.teacher[1](ema.teacher[0](x))
        assert not ema.teacher[2].training  # dropout
    torch.testing.assert_close(hidden.mean(0), torch.zeros(5), atol=1e-5, rtol=0)
    with ema.batch_statistics():
        torch.testing.assert_close(ema(x), inside)  # deterministic: no dropout
    assert not any(module.training for module in ema.modules())  # back to eval mode
    assert not torch.allclose(ema(x), inside)  # outside, the running statistics


def test_teacher_takes_no_gradient():
    student = _student()
    ema = EMATeacher(student)
    assert not any(p.requires_grad for p in ema.parameters())
    assert all(p.requires_grad for p in student.parameters())
    out = ema(torch.randn(4, 3, requires_grad=True))
    assert not out.requires_grad and out.grad_fn is None


def test_mismatched_student_is_rejected():
    ema = EMATeacher(nn.Sequential(nn.Linear(3, 4)))
    with pytest.raises(InvalidDataError, match="shape"):
        ema.update(nn.Sequential(nn.Linear(3, 5)), 0, 10)
    with pytest.raises(InvalidDataError, match="do not match"):
        ema.update(nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 4)), 0, 10)


def test_bad_settings_are_rejected():
    with pytest.raises(RecipeError):
        EMATeacher(nn.Linear(2, 2), momentum_start=1.5)
    with pytest.raises(RecipeError, match="total_steps"):
        EMATeacher(nn.Linear(2, 2)).momentum(0, 0)


def test_cosine_schedule_is_byols_and_unknown_schedules_are_refused():
    teacher = EMATeacher(nn.Linear(2, 2), momentum_start=0.996, momentum_end=1.0, schedule="cosine")
    for step in (0, 25, 50, 100, 150):
        # Grill et al. 2020: tau = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2
        expected = 1 - 0.004 * (math.cos(math.pi * min(step, 100) / 100) + 1) / 2
        assert teacher.momentum(step, 100) == pytest.approx(expected)
    with pytest.raises(RecipeError, match="schedule"):
        EMATeacher(nn.Linear(2, 2), schedule="exponential")


def test_reinitialized_teacher_is_a_fresh_draw_of_the_same_architecture():
    student = _student()
    with torch.no_grad():
        student[1].running_mean.fill_(3.0)
    ema = EMATeacher(student, reinitialize=True)
    assert [name for name, _ in ema.teacher.named_parameters()] == [name for name, _ in student.named_parameters()]
    assert not torch.equal(ema.teacher[0].weight, student[0].weight)
    assert not torch.equal(ema.teacher[3].weight, student[3].weight)
    torch.testing.assert_close(ema.teacher[1].running_mean, torch.zeros(5))
    assert not any(p.requires_grad for p in ema.teacher.parameters())
    torch.testing.assert_close(EMATeacher(student).teacher[0].weight, student[0].weight)


class _Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))


def test_reinitializing_a_module_that_cannot_redraw_its_parameters_is_refused():
    with pytest.raises(RecipeError, match="reset_parameters"):
        EMATeacher(nn.Sequential(nn.Linear(3, 3), _Scaled()), reinitialize=True)
