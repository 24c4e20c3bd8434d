"""How a modality's batches meet the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE).

A generic method is written once. Per step it turns the batch into :class:`Inputs` through the modality's
:class:`GenericInput` (named by the method's ``input`` option, a registered ``input`` component), alters the
inputs with view generators, and reads the encoder through the same :class:`GenericInput`. Core view
generators alter ``inputs.x``; a plugin view that changes anything else (a graph's edges) subclasses
:class:`InputsView`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from multissl.errors import InvalidDataError
from multissl.views.base import ViewGenerator, mask_union


@dataclasses.dataclass(frozen=True, eq=False)
class Inputs:
    """What a generic method alters, encodes and reconstructs.

    ``x`` is ``(N, L, ...)``: ``N`` samples (rows, utterances, windows, nodes) of ``L`` positions (features,
    frames, time steps). ``valid`` is a bool ``(N, L)`` marking real (non-padding) positions, or None when all
    are real. ``context`` holds what else the encoder reads (a graph's ``edge_index``, lengths); only
    :class:`InputsView` generators replace its entries.
    """

    x: Tensor
    valid: Tensor | None = None
    context: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def replace(self, **changes: Any) -> Inputs:
        """A copy with ``changes`` (the tensors are shared, never written)."""
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True, eq=False)
class InputsAltered:
    """A view of :class:`Inputs`: the altered ``inputs`` and ``mask``, a bool tensor whose shape is a prefix of
    ``x``'s (``(N,)`` per sample, ``(N, L)`` per position, ``(N, L, F)`` per value) marking what was hidden or
    altered, or None when nothing is singled out."""

    inputs: Inputs
    mask: Tensor | None


class InputsView(abc.ABC):
    """A view generator that changes more than ``x`` (e.g. drops a graph's edges). Pure and seeded like
    :class:`~multissl.views.base.ViewGenerator`; subclasses are small dataclasses, registered as views."""

    @abc.abstractmethod
    def __call__(self, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
        """The altered copy of ``inputs``."""


def apply_view(view: ViewGenerator | InputsView, inputs: Inputs, generator: torch.Generator) -> InputsAltered:
    """``view`` applied to ``inputs``: an :class:`InputsView` directly, a tensor view generator to ``inputs.x``
    (with ``inputs.valid``)."""
    if isinstance(view, InputsView):
        return view(inputs, generator)
    altered = view(inputs.x, generator, valid=inputs.valid)
    return InputsAltered(inputs.replace(x=altered.data), altered.mask)


def apply_views(views: list[ViewGenerator | InputsView], inputs: Inputs, generator: torch.Generator) -> InputsAltered:
    """``views`` applied in order; the mask is the OR of the non-None masks (broadcast to the longer shape)."""
    mask = None
    for view in views:
        altered = apply_view(view, inputs, generator)
        inputs = altered.inputs
        if altered.mask is not None:
            mask = altered.mask if mask is None else mask_union(mask, altered.mask)
    return InputsAltered(inputs, mask)


class GenericInput(nn.Module):
    """The default bridge, for batches holding ``x`` (and optionally a bool ``valid``): the encoder's ``embed(x)``
    gives ``(N, D)`` and ``forward(x)`` its per-position outputs.

    A modality whose batches or encoders differ registers a subclass (``registry.add_input``) and names it in its
    ``method_defaults`` (``{"simclr": {"input": "graph_nodes", ...}}``). It is an ``nn.Module``, so a feature
    front end with buffers (log-mel filter banks) lives here and is saved with the method.

    The hooks a subclass may override: :meth:`inputs` (batch to :class:`Inputs`), :meth:`embed` (what every
    method's embedding and the two-view methods read), :meth:`encode` and :meth:`target` (what ``mae`` reads and
    predicts), :meth:`reconstruction_dim` (the width of ``mae``'s head) and :meth:`reconstruction_loss` (``mae``'s
    loss, for a modality that reconstructs something other than its input).
    """

    def __init__(self, **input_spec: Any) -> None:
        super().__init__()
        self.input_spec = dict(input_spec)

    def inputs(self, batch: Mapping[str, Any]) -> Inputs:
        """The batch as :class:`Inputs`."""
        if "x" not in batch:
            raise InvalidDataError(
                f"{type(self).__name__} reads batch['x'], but the batch holds {sorted(batch)}; this modality's "
                "method_defaults must name its own input (method option 'input')."
            )
        return Inputs(batch["x"], batch.get("valid"))

    def embed(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """``(N, D)``: one embedding per sample."""
        return encoder.embed(inputs.x)

    def encode(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        """The encoder's outputs that a reconstruction head reads: ``(N, L, H)`` per position when the encoder
        gives them, else ``(N, H)`` per sample (the default)."""
        return self.embed(encoder, inputs)

    def target(self, inputs: Inputs) -> Tensor:
        """What masked reconstruction predicts (default ``inputs.x``, the clean input)."""
        return inputs.x

    def reconstruction_dim(self) -> int:
        """How many values the reconstruction head predicts from each row of :meth:`encode`'s output: the
        target's values per sample when ``encode`` pools to ``(N, H)``, per position when it gives ``(N, L, H)``
        (default ``input_spec["input_dim"]``, the features of a vector or of a frame)."""
        if "input_dim" not in self.input_spec:
            raise InvalidDataError(
                f"{type(self).__name__} cannot tell the reconstruction's width: the modality's input_spec "
                f"{sorted(self.input_spec)} has no 'input_dim'; its input must override reconstruction_dim()."
            )
        return int(self.input_spec["input_dim"])

    def reconstruction_loss(
        self, encoded: Tensor, head: nn.Module, original: Inputs, altered: InputsAltered, error: nn.Module
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Masked reconstruction's loss and logs: ``head(encoded)`` reshaped to :meth:`target` of the
        ``original`` inputs, scored by ``error(prediction, target, mask)`` on the entries ``altered.mask`` hid
        (the mask broadcast over the target's trailing dimensions). A modality that reconstructs something else
        (masked edges scored against sampled non-edges) overrides this; ``encoded`` is :meth:`encode` of the
        altered inputs."""
        target = self.target(original)
        prediction = head(encoded)
        if prediction.numel() != target.numel():
            raise InvalidDataError(
                f"The reconstruction head gives {tuple(prediction.shape)} for a target of shape {tuple(target.shape)}: "
                f"{type(self).__name__}.reconstruction_dim() must give the target's values per row of encode()."
            )
        return error(prediction.reshape(target.shape), target, altered.mask)
