"""ColloSSL (Jain et al. 2022, "ColloSSL: Collaborative Self-Supervised Learning for Human Activity Recognition").

Per batch: the anchor device (``data.anchor``, or drawn at random); MMD between the anchor's and every other
device's per-window accelerometer magnitude; the closest device is the positive, all others (the
positive too) are negatives weighted by 1/MMD (the reference's ``closest_pos_all_neg``), contrasted at
other times of the batch (time-shuffled); one shared encoder embeds every device;
:class:`DeviceContrastiveLoss` contrasts them. No projection head, as in the reference.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from multissl.errors import InvalidDataError
from multissl.methods.base import Method
from multissl.methods.components import build_encoder
from multissl_sensor.contrast import DeviceContrastiveLoss
from multissl_sensor.mmd import COLLOSSL_SIGMAS, mmd_to_each


@dataclasses.dataclass
class ColloSSLConfig:
    """Options of ``collossl`` (recipe ``method`` block)."""

    encoder: str = "cnn1d"
    encoder_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    temperature: float = 0.05
    random_anchor: bool = False
    """False: the anchor is the modality's anchor device (``data.anchor``); True: a device drawn per batch."""
    accel_channels: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    """Per-device channels whose Euclidean norm is the signal compared by MMD."""
    sigmas: list[float] = dataclasses.field(default_factory=lambda: list(COLLOSSL_SIGMAS))
    negatives: str = "shuffled"
    """"shuffled": per anchor, ``negative_samples`` windows of each negative device at other times (the
    reference); "all": every other time of the batch."""
    negative_samples: int = 1


def select_devices(magnitude: torch.Tensor, anchor: int, sigmas: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    """From ``magnitude`` (D, N, T): the positive device (closest to ``anchor`` by MMD), the negative weights
    (D,) = 1/MMD for every device but the anchor (0 there), and the MMDs (D,)."""
    mmd = mmd_to_each(magnitude[anchor], magnitude, sigmas)
    others = torch.ones_like(mmd, dtype=torch.bool)
    others[anchor] = False
    positive = int(mmd.masked_fill(~others, float("inf")).argmin())
    weights = torch.where(others, 1.0 / mmd.clamp_min(torch.finfo(mmd.dtype).eps), 0.0)
    return positive, weights, mmd


def check_devices(count: int) -> None:
    """ColloSSL contrasts an anchor device with the others, so it needs two devices or more."""
    if count < 2:
        raise InvalidDataError(
            f"collossl needs at least two synchronised devices; the data has {count}. Add devices (data.devices) or "
            "use method 'simclr'."
        )


class ColloSSL(Method):
    """Collaborative contrastive learning across synchronised devices; batches need ``devices`` (N, D, T, C)."""

    Config = ColloSSLConfig

    def __init__(self, config: ColloSSLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.objective = DeviceContrastiveLoss(config.temperature, config.negatives, config.negative_samples)
        self.register_buffer("sigmas", torch.tensor(config.sigmas, dtype=torch.float32), persistent=False)

    def on_train_start(self) -> None:
        """Refuse single-device data before the first step (the training windows are (D, T, C))."""
        check_devices(self.trainer.train_dataloader.dataset[0].shape[0])

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        devices = batch["devices"]
        n, count = devices.shape[:2]
        check_devices(count)
        if self.config.random_anchor:
            anchor = int(torch.randint(count, (1,), generator=self.generator(devices.device), device=devices.device))
        else:
            anchor = int(batch["anchor"][0])
        with torch.no_grad():
            magnitude = devices[..., self.config.accel_channels].norm(dim=-1).transpose(0, 1)
            positive, weights, mmd = select_devices(magnitude, anchor, self.sigmas.to(devices.dtype))
        embeddings = self.encoder.embed(devices.flatten(0, 1)).view(n, count, -1)
        loss, logs = self.objective(
            embeddings[:, anchor], embeddings, positive=positive, negative_weights=weights,
            generator=self.generator(devices.device),
        )
        logs["positive_mmd"] = mmd[positive]
        return loss, logs

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.encoder.embed(batch["x"])
