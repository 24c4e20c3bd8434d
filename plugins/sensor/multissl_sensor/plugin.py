"""Entry point of multissl-sensor: modality ``sensor``, sensor views, method ``collossl``, the generic methods on sensors,
the ``leave_one_subject_out`` evaluator, the ``actrectut`` dataset and the recipes.

Keep this module light: components are registered as lazy ``"module:attribute"`` strings so that
``multissl plugins`` never imports torch.
"""

from __future__ import annotations

from multissl import hookimpl

VIEWS = {
    "sensor_scaling": ("multissl_sensor.views.scaling:Scaling", "random gain per window and channel"),
    "sensor_rotation": ("multissl_sensor.views.rotation:Rotation", "random 3-D rotation of xyz channel triples"),
    "sensor_permutation": ("multissl_sensor.views.permutation:TimePermutation", "shuffled time segments"),
    "sensor_time_warp": ("multissl_sensor.views.time_warp:TimeWarp", "smoothly varying playback speed"),
}

GENERIC_METHODS = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
"""The core's generic methods offered on sensor windows (their sensor defaults: ``Sensor.method_defaults``)."""


@hookimpl
def multissl_register(registry) -> None:
    """Components of multissl-sensor."""
    registry.add_modality(
        "sensor", "multissl_sensor.modality:Sensor", summary="synchronised wearable-device streams, windowed on the fly",
        default_method="collossl", evaluators=["leave_one_subject_out"],
    )
    for name, (target, summary) in VIEWS.items():
        registry.add_view(name, target, summary=summary)
    registry.add_method(
        "collossl", "multissl_sensor.collossl:ColloSSL", modalities=["sensor"],
        summary="ColloSSL: MMD-selected devices as positives/negatives, weighted contrastive loss",
    )
    registry.add_input(
        "sensor_steps", "multissl_sensor.steps_input:SensorSteps", summary="sensor windows encoded per time step (mae)"
    )
    for name in GENERIC_METHODS:
        registry.serve(name, "sensor")
    registry.add_evaluator(
        "leave_one_subject_out", "multissl_sensor.leave_one_subject_out:LeaveOneSubjectOut", modalities=["sensor"],
        summary="macro F1 on each held-out subject with a fraction of the labels, against the encoder from scratch",
    )
    registry.add_dataset(
        "actrectut", "multissl_sensor.actrectut:actrectut", modality="sensor", path="sensor/actrectut",
        summary="ActRecTut gestures: 2 subjects, 3 IMUs (hand, lower arm, upper arm) x 5 channels, 32 Hz, 12 classes",
        options={"sample_rate": 32.0},
    )


@hookimpl
def multissl_recipe_dirs() -> list[str]:
    """ColloSSL, its selection variants, SimCLR and the generic methods on ActRecTut (``multissl recipes``)."""
    from pathlib import Path

    return [str(Path(__file__).parent / "recipes")]
