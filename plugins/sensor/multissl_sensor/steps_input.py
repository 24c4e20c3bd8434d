"""The generic input for masked reconstruction on sensor windows: one encoder output per time step."""

from __future__ import annotations

from torch import Tensor, nn

from multissl.errors import InvalidDataError
from multissl.methods.generic_input import GenericInput, Inputs


class SensorSteps(GenericInput):
    """Anchor windows ``x`` (N, T, C) whose :meth:`encode` is the encoder's per-step output (N, T, H), so a
    reconstruction head predicts the C channels of each hidden time step. The encoder must keep the window's
    length (``cnn1d`` with ``padding: same``, or a Transformer)."""

    def encode(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        steps = encoder(inputs.x)
        if steps.dim() != 3 or steps.shape[1] != inputs.x.shape[1]:
            raise InvalidDataError(
                f"Masked reconstruction of sensor steps needs one encoder output per time step: the window has "
                f"{inputs.x.shape[1]} steps but the encoder gives shape {tuple(steps.shape)}. Use a cnn1d encoder with "
                "encoder_options {padding: same} (the sensor default for mae) or a transformer."
            )
        return steps
