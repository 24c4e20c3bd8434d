"""On CUDA, every method's training step and embeddings match the CPU's on the same example batch and seed.

Run with ``pytest -m cuda`` on a machine with a GPU; skipped elsewhere. Each method trains one step from
the same initial weights on each device (``lr`` 1e-12, so the embeddings after the step compare the same
weights), and the test compares the step's loss, its gradient and the embeddings of the example data.

The devices' random streams differ (CPU's Mersenne Twister, CUDA's Philox), so every random draw inside the
step (views, negatives, sampled pairs) is recorded on the CPU run and replayed, in order, on the CUDA run.
Dropout draws through different ops on each device (``bernoulli_`` on CPU, a fused kernel on CUDA), so it is
off: ``F.dropout`` is the identity and attention dropout rates are 0. TF32 is off, so fp32 means fp32.

Tolerances: fp32, 1e-4 relative (loss; gradient and embeddings by the norm of the difference). Graph and
recommendation methods aggregate messages with atomic scatter-adds on CUDA, whose summation order varies
from run to run; those differences are of order 1e-6 and stay inside the same bound. bf16-mixed: the loss
within 2e-2 relative (bf16 keeps 8 bits of mantissa) and the gradient's direction (cosine above 0.99).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils._python_dispatch import TorchDispatchMode

import multissl
from multissl.conformance import example_data, method_modality_pairs

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run with pytest -m cuda on a GPU machine)"),
]

PAIRS = method_modality_pairs()
RANDOM_OPS = {
    "rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm", "bernoulli", "bernoulli_",
    "normal", "normal_", "uniform_", "multinomial", "exponential_", "geometric_", "cauchy_", "log_normal_",
    "random_", "poisson", "binomial",
}


class RandomDraws(TorchDispatchMode):
    """Records the output of every random op, in order; or, given a recording, overwrites each random op's
    output with the recorded value (moved to the op's device), checking that the same op and shape come."""

    def __init__(self, replay: list[tuple[str, torch.Tensor]] | None = None):
        super().__init__()
        self.recorded: list[tuple[str, torch.Tensor]] = []
        self.replay = None if replay is None else list(replay)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = func.overloadpacket.__name__
        if name not in RANDOM_OPS:
            return out
        if self.replay is None:
            self.recorded.append((name, out.detach().cpu().clone()))
            return out
        assert self.replay, f"the CUDA step drew {name} {tuple(out.shape)} after the CPU step's last random draw"
        recorded_name, value = self.replay.pop(0)
        assert (recorded_name, value.shape) == (name, out.shape), (
            f"the CUDA step drew {name} {tuple(out.shape)} where the CPU step drew {recorded_name} {tuple(value.shape)}"
        )
        out.copy_(value.to(out.device))
        return out


class OneStep(Callback):
    """Attention dropout off; the first step's random draws recorded (or replayed), its loss and flattened gradient kept."""

    def __init__(self, replay: list[tuple[str, torch.Tensor]] | None = None):
        self.draws = RandomDraws(replay)
        self.loss: float | None = None
        self.gradient: torch.Tensor | None = None
        self._drawing = False

    def on_fit_start(self, trainer, pl_module):
        for module in pl_module.modules():
            if isinstance(getattr(module, "dropout", None), float):  # rates passed to attention kernels (nn.MultiheadAttention, transformers)
                module.dropout = 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.draws.__enter__()
        self._drawing = True

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        grads = [p.grad.detach().float().flatten().cpu() for p in pl_module.parameters() if p.grad is not None]
        self.gradient = torch.cat(grads)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self._stop_drawing()
        self.loss = float(outputs["loss"])

    def on_exception(self, trainer, pl_module, exception):
        self._stop_drawing()

    def _stop_drawing(self):
        if self._drawing:
            self.draws.__exit__(None, None, None)
            self._drawing = False


@pytest.fixture(autouse=True)
def no_dropout(monkeypatch):
    """``F.dropout`` as the identity (``nn.Dropout``, ``nn.MultiheadAttention`` and functional calls all go through it)."""
    monkeypatch.setattr(torch.nn.functional, "dropout", lambda input, p=0.5, training=True, inplace=False: input)


@pytest.fixture(autouse=True)
def full_fp32():
    """No TF32 in matmuls or convolutions while a test runs."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def one_step(method: str, modality: str, accelerator: str, precision: str, replay=None) -> tuple[OneStep, np.ndarray]:
    """One training step of ``method`` on ``accelerator``; the step's record and the example data's embeddings there."""
    source = example_data(modality)
    step = OneStep(replay)
    run = multissl.pretrain(
        modality, source, method=method, max_epochs=1, batch_size=16, lr=1e-12, callbacks=[step],
        **{
            "trainer.max_steps": 1,
            "trainer.accelerator": accelerator,
            "trainer.devices": 1,
            "trainer.precision": precision,
            "trainer.enable_progress_bar": False,
        },
    )
    run.method.to("cuda" if accelerator == "gpu" else "cpu")
    return step, run.embed(source)


def relative_difference(a, b) -> float:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


@pytest.mark.parametrize(("method", "modality"), PAIRS, ids=[f"{m}-{mod}" for m, mod in PAIRS])
def test_fp32_step_and_embeddings_match_cpu(method, modality):
    cpu, cpu_embeddings = one_step(method, modality, "cpu", "32-true")
    cuda, cuda_embeddings = one_step(method, modality, "gpu", "32-true", replay=cpu.draws.recorded)
    assert not cuda.draws.replay, f"the CPU step drew {len(cuda.draws.replay)} random tensors the CUDA step did not"
    assert cuda.loss == pytest.approx(cpu.loss, rel=1e-4)
    assert relative_difference(cuda.gradient, cpu.gradient) < 1e-4
    assert relative_difference(cuda_embeddings, cpu_embeddings) < 1e-4


@pytest.mark.parametrize(("method", "modality"), PAIRS, ids=[f"{m}-{mod}" for m, mod in PAIRS])
def test_bf16_mixed_step_stays_close_to_cpu_fp32(method, modality):
    cpu, _ = one_step(method, modality, "cpu", "32-true")
    cuda, cuda_embeddings = one_step(method, modality, "gpu", "bf16-mixed", replay=cpu.draws.recorded)
    assert cuda.loss == pytest.approx(cpu.loss, rel=2e-2)
    assert float(torch.nn.functional.cosine_similarity(cuda.gradient, cpu.gradient, dim=0)) > 0.99
    assert np.isfinite(cuda_embeddings).all()
