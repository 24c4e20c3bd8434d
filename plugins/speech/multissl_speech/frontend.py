"""The features a speech method reads: taken from the batch when cached, else computed on the batch's device."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from multissl.errors import InvalidDataError
from multissl_speech.features import FeatureConfig, FeatureExtractor, frame_mask


def feature_config(input_spec: dict[str, Any]) -> FeatureConfig:
    """The :class:`FeatureConfig` the modality described in ``input_spec["features"]``."""
    if "features" not in input_spec:
        raise InvalidDataError("This method needs the speech modality's input_spec (with 'features'); use modality 'speech'.")
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in input_spec["features"].items()}
    return FeatureConfig(**options)


class Frontend(nn.Module):
    """``batch -> (features (N, T, F), valid (N, T))`` without gradients (features are fixed inputs)."""

    def __init__(self, config: FeatureConfig) -> None:
        super().__init__()
        self.extractor = FeatureExtractor(config)

    @torch.no_grad()
    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        if "features" in batch:
            features = batch["features"]
            return features, frame_mask(batch["num_frames"], features.shape[1])
        if "waveform" not in batch:
            raise InvalidDataError(f"A speech batch holds 'waveform' or 'features', got keys {sorted(batch)}.")
        features, num_frames = self.extractor(batch["waveform"], batch["num_samples"])
        return features, frame_mask(num_frames, features.shape[1])
