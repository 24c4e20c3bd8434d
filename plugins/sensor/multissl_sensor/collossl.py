"""ColloSSL (Jain et al. 2022, "ColloSSL: Collaborative Self-Supervised Learning for Human Activity Recognition").

Per batch: the anchor device (``data.anchor``, or drawn at random with ``multi_anchor``); the MMD between the
anchor's and every other device's accelerometer windows; a selection strategy (:mod:`multissl_sensor.selection`)
names the positive and negative devices; a sampling mode (:func:`multissl_sensor.contrast.pair_weights`) pairs
their windows with the anchor's; one shared encoder embeds every device; :class:`DeviceContrastiveLoss`
contrasts them. No projection head, as in the reference. The convolution kernels carry the reference's L2
penalty (``kernel_l2 · Σ‖W‖²``, Keras ``kernel_regularizer=l2(1e-4)``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from multissl.errors import InvalidDataError, RecipeError
from multissl.methods.base import Method
from multissl.methods.components import build_encoder
from multissl_sensor.contrast import DeviceContrastiveLoss, Sampling, pair_weights
from multissl_sensor.mmd import COLLOSSL_SIGMAS
from multissl_sensor.selection import Distance, Strategy, device_distances, select_devices


@dataclasses.dataclass
class ColloSSLConfig:
    """Options of ``collossl`` (recipe ``method`` block)."""

    encoder: str = "cnn1d"
    encoder_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    temperature: float = 0.05
    selection: Strategy = "closest_pos_all_neg"
    """Device selection strategy (see :mod:`multissl_sensor.selection`)."""
    static_positives: list[int] = dataclasses.field(default_factory=list)
    """``selection: static``: positive devices, as positions in ``data.devices`` order."""
    static_negatives: list[int] = dataclasses.field(default_factory=list)
    """``selection: static``: negative devices, as positions in ``data.devices`` order."""
    distance: Distance = "acc_norm"
    """MMD on the accelerometer magnitude (``acc_norm``) or averaged over its axes (``acc_per_channel``)."""
    weighted: bool = True
    """Negatives weigh 1/MMD (the reference's ``weighted_collossl``, on in the paper's runs); False: weight 1."""
    sampling: Sampling = "unsync_neg"
    """Which windows are paired (see :func:`multissl_sensor.contrast.pair_weights`)."""
    negative_samples: int = 1
    """Windows per anchor and negative device (the reference's ``neg_sample_size``)."""
    multi_anchor: bool = False
    """False: the anchor is the modality's anchor device (``data.anchor``); True: a device drawn per batch."""
    accel_channels: list[int] = dataclasses.field(default_factory=lambda: [0, 1, 2])
    """Per-device accelerometer channels (x, y, z) that MMD compares."""
    sigmas: list[float] = dataclasses.field(default_factory=lambda: list(COLLOSSL_SIGMAS))
    kernel_l2: float = 1e-4
    """L2 penalty on the convolution kernels (weights, not biases), added to the loss; 0 turns it off."""

    def __post_init__(self) -> None:
        if self.negative_samples < 1:
            raise RecipeError(f"collossl negative_samples must be at least 1, got {self.negative_samples}.")
        if not self.kernel_l2 >= 0:
            raise RecipeError(f"collossl kernel_l2 must be non-negative, got {self.kernel_l2}.")
        if not self.accel_channels:
            raise RecipeError("collossl accel_channels must name at least one channel.")
        if self.selection == "closest_only" and self.sampling == "sync_all":
            raise RecipeError(
                "collossl selection 'closest_only' with sampling 'sync_all' makes the positive window its own "
                "negative, so the loss is constant; use sampling 'unsync_neg', 'unsync_all' or 'all_times'."
            )
        static = bool(self.static_positives or self.static_negatives)
        if self.selection == "static":
            if not self.static_positives or not self.static_negatives:
                raise RecipeError("collossl selection 'static' needs static_positives and static_negatives (device positions).")
            if self.multi_anchor:
                raise RecipeError("collossl selection 'static' fixes devices for one anchor; it cannot be used with multi_anchor.")
        elif static:
            raise RecipeError(
                f"collossl static_positives/static_negatives only apply to selection 'static', not {self.selection!r}."
            )


def check_devices(count: int, selection: str = "closest_pos_all_neg") -> None:
    """ColloSSL contrasts an anchor device with the others: two devices or more (three for ``hard_negative``)."""
    if count < 2:
        raise InvalidDataError(
            f"collossl needs at least two synchronised devices; the data has {count}. Add devices (data.devices) or "
            "use method 'simclr'."
        )
    if selection == "hard_negative" and count < 3:
        raise InvalidDataError(
            f"collossl selection 'hard_negative' takes its negatives beyond the closest device, so it needs three "
            f"devices or more; the data has {count}. Use selection 'closest_pos_all_neg' or 'closest_only'."
        )


def convolution_kernels(module: nn.Module) -> list[torch.Tensor]:
    """The weights of every convolution in ``module`` (the tensors the reference's ``kernel_regularizer`` covers)."""
    return [m.weight for m in module.modules() if isinstance(m, nn.modules.conv._ConvNd)]


class ColloSSL(Method):
    """Collaborative contrastive learning across synchronised devices; batches need ``devices`` (N, D, T, C)."""

    Config = ColloSSLConfig

    def __init__(self, config: ColloSSLConfig, input_spec: dict[str, Any], optimizer=None, seed: int = 0):
        super().__init__(config, input_spec, optimizer, seed)
        self.encoder = build_encoder(config.encoder, input_spec, config.encoder_options)
        self.objective = DeviceContrastiveLoss(config.temperature)
        self.register_buffer("sigmas", torch.tensor(config.sigmas, dtype=torch.float32), persistent=False)
        channels = input_spec.get("input_dim")
        if channels is not None and max(config.accel_channels) >= channels:
            raise RecipeError(f"collossl accel_channels {config.accel_channels} do not fit devices of {channels} channels.")

    def check_batches(self, loader) -> None:
        """Refuse too few devices before training starts (the training windows are (D, T, C))."""
        check_devices(loader.dataset[0].shape[0], self.config.selection)

    def ssl_loss(self, batch: dict[str, torch.Tensor]):
        config, devices = self.config, batch["devices"]
        n, count = devices.shape[:2]
        check_devices(count, config.selection)
        generator = self.generator(devices.device)
        if config.multi_anchor:
            anchor = int(torch.randint(count, (1,), generator=generator, device=devices.device))
        else:
            anchor = int(batch["anchor"][0])
        with torch.no_grad():
            mmd = device_distances(devices, anchor, config.accel_channels, config.distance, self.sigmas.to(devices.dtype))
            chosen = select_devices(
                mmd, anchor, config.selection, weighted=config.weighted, generator=generator,
                static_positives=config.static_positives, static_negatives=config.static_negatives,
            )
            positives, negatives = pair_weights(
                n, chosen.positives.to(devices.dtype), chosen.negative_weights, config.sampling,
                config.negative_samples, generator,
            )
        embeddings = self.encoder.embed(devices.flatten(0, 1)).view(n, count, -1)
        loss, logs = self.objective(embeddings[:, anchor], embeddings, positives, negatives)
        logs["contrastive_loss"] = loss.detach()
        if config.kernel_l2 > 0:
            penalty = config.kernel_l2 * sum(kernel.square().sum() for kernel in convolution_kernels(self.encoder))
            loss = loss + penalty
            logs["kernel_l2"] = torch.as_tensor(penalty).detach()
        logs["positive_mmd"] = mmd[chosen.positives].mean()
        return loss, logs

    def embed(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.encoder.embed(batch["x"])
