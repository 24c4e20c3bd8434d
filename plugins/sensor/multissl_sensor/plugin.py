"""Entry point of multissl-sensor: modality ``sensor``, sensor views, method ``collossl``, ``simclr`` on sensors.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl

VIEWS = {
    "sensor_jitter": ("multissl_sensor.views.jitter:Jitter", "additive Gaussian noise on sensor windows"),
    "sensor_scaling": ("multissl_sensor.views.scaling:Scaling", "random gain per window and channel"),
    "sensor_rotation": ("multissl_sensor.views.rotation:Rotation", "random 3-D rotation of xyz channel triples"),
    "sensor_permutation": ("multissl_sensor.views.permutation:TimePermutation", "shuffled time segments"),
    "sensor_time_warp": ("multissl_sensor.views.time_warp:TimeWarp", "smoothly varying playback speed"),
}


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-sensor."""
    registry.add_modality(
        "sensor", "multissl_sensor.modality:Sensor", summary="synchronised wearable-device streams, windowed on the fly"
    )
    for name, (target, summary) in VIEWS.items():
        registry.add_view(name, target, summary=summary)
    registry.add_method(
        "collossl", "multissl_sensor.collossl:ColloSSL", modalities=["sensor"],
        summary="ColloSSL: MMD-selected devices as positives/negatives, weighted contrastive loss",
    )
    registry.serve("simclr", "sensor")
