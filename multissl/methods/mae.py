"""Masked reconstruction: hide part of the input, encode what is left, predict the hidden part.

The generic form of the masked autoencoders (He et al. 2022, MAE; Hou et al. 2022, GraphMAE; Liu et al. 2021,
TERA): views hide positions (``mask``), the encoder reads the altered input through the modality's generic input,
an MLP head maps its outputs to the target's values, and the error counts masked entries only —
``L = mean_{e∈M} (x̂_e − x_e)²`` (``loss: mse``) or GraphMAE's ``mean_{i∈M} (1 − cos(x̂_i, x_i))^γ``
(``loss: sce``). An encoder that only pools (an MLP on vectors) gives one ``(N, H)`` row per sample; the head then
predicts the whole row and only its masked features are scored: the denoising autoencoder of Vincent et al. 2008
with a masking corruption. The embedding is the encoder's on the clean input.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import torch
from torch import nn

from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.base import Method
from multissl.methods.components import build_encoder, build_input, build_views
from multissl.methods.generic_input import apply_views
from multissl.objectives.masked_reconstruction import MaskedReconstruction
from multissl.objectives.scaled_cosine_error import ScaledCosineError


@dataclasses.dataclass
class MAEConfig:
    """Options of ``mae`` (recipe ``method`` block)."""

    input: str = "x"
    encoder: str = "mlp"
    encoder_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    views: list[dict[str, Any]] = dataclasses.field(default_factory=lambda: [{"name": "random_mask", "ratio": 0.4}])
    """Views that hide entries (each sets a ``mask``); the error counts the hidden ones."""
    decoder_dims: list[int] = dataclasses.field(default_factory=lambda: [256])
    """Hidden widths of the reconstruction head (``[]``: one linear layer)."""
    loss: Literal["mse", "sce"] = "mse"
    sce_gamma: float = 2.0
    """γ of the scaled cosine error (``loss: sce``)."""


def reconstruction_head(input_dim: int, hidden_dims: list[int], output_dim: int) -> nn.Module:
    """``Linear → GELU`` per hidden width, then ``Linear`` to ``output_dim``; acts on the last dimension."""
    layers: list[nn.Module] = []
    width = input_dim
    for hidden in hidden_dims:
        layers += [nn.Linear(width, hidden), nn.GELU()]
        width = hidden
    layers.append(nn.Linear(width, output_dim))
    return nn.Sequential(*layers)


class MaskedAutoencoder(Method):
    """Masked reconstruction on any modality whose views hide entries."""

    Config = MAEConfig

    def __init__(self, config: MAEConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        if config.loss not in ("mse", "sce"):
            raise RecipeError(f"mae loss must be 'mse' or 'sce', got {config.loss!r}.")
        if not config.views:
            raise RecipeError("mae needs at least one view that hides entries, e.g. views: [{name: random_mask, ratio: 0.4}].")
        self.input = build_input(config.input, input_spec)
        self.views = build_views(config.views)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.head = reconstruction_head(self.encoder.output_dim, list(config.decoder_dims), self.input.reconstruction_dim())
        self.error = MaskedReconstruction("l2") if config.loss == "mse" else ScaledCosineError(config.sce_gamma)

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        original = self.input.inputs(batch)
        altered = apply_views(self.views, original, self.generator(original.x.device))
        if altered.mask is None:
            raise InvalidDataError(
                f"mae's views {[type(v).__name__ for v in self.views]} hid nothing (no mask), so there is nothing to "
                "reconstruct. Add a masking view, e.g. {name: random_mask, ratio: 0.4}."
            )
        encoded = self.input.encode(self.encoder, altered.inputs)
        return self.input.reconstruction_loss(encoded, self.head, original, altered, self.error)

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.input.embed(self.encoder, self.input.inputs(batch))
