"""The speech input of the core's generic methods (SimCLR, VICReg, Barlow Twins, BYOL, MAE): feature frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import Tensor, nn

from multissl.methods.generic_input import GenericInput, Inputs
from multissl_speech.frontend import Frontend, feature_config
from multissl_speech.pooling import masked_mean


class SpeechFrames(GenericInput):
    """A speech batch as :class:`~multissl.methods.generic_input.Inputs`: ``x`` the features ``(N, T, F)``
    computed by the front end on the batch's device (or read from the feature cache), ``valid`` the real frames.
    The encoder (``speech_transformer``) reads ``x`` with padding masked; ``embed`` is the mean of its
    per-frame outputs over real frames, ``encode`` those outputs ``(N, T, H)``, which masked reconstruction maps
    back to the clean features."""

    def __init__(self, **input_spec: Any) -> None:
        super().__init__(**input_spec)
        self.frontend = Frontend(feature_config(input_spec))

    def inputs(self, batch: Mapping[str, Any]) -> Inputs:
        features, valid = self.frontend(dict(batch))
        return Inputs(features, valid)

    def encode(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        return encoder(inputs.x, padding_mask=~inputs.valid)

    def embed(self, encoder: nn.Module, inputs: Inputs) -> Tensor:
        return masked_mean(self.encode(encoder, inputs), inputs.valid)
