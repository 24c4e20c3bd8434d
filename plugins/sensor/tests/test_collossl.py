"""ColloSSL: MMD device selection, the weighted loss against a hand computation, end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from multissl_sensor.collossl import ColloSSL, ColloSSLConfig, select_devices
from multissl_sensor.contrast import DeviceContrastiveLoss
from multissl_sensor.mmd import COLLOSSL_SIGMAS, mmd_to_each

import multissl
from multissl.errors import InvalidDataError


def test_mmd_is_zero_for_identical_sets_and_grows_with_the_shift():
    generator = torch.Generator().manual_seed(0)
    base = torch.randn(32, 16, generator=generator)
    devices = torch.stack([base, base + 0.1, base + 1.0, base + 3.0])
    mmd = mmd_to_each(base, devices, torch.tensor(COLLOSSL_SIGMAS))
    assert mmd[0] == pytest.approx(0.0, abs=1e-5)
    assert (mmd[1:].diff() > 0).all() and mmd[1] > 0


def test_the_closest_device_is_positive_and_every_other_is_a_negative_weighted_by_inverse_mmd():
    generator = torch.Generator().manual_seed(0)
    anchor = torch.randn(32, 16, generator=generator)
    magnitude = torch.stack([anchor + 2.0, anchor + 0.5, anchor, anchor + 1.0])
    sigmas = torch.tensor(COLLOSSL_SIGMAS)
    positive, weights, mmd = select_devices(magnitude, anchor=2, sigmas=sigmas)
    assert positive == 1
    assert weights[2] == 0
    torch.testing.assert_close(weights[[0, 1, 3]], 1 / mmd[[0, 1, 3]])


def test_loss_with_every_other_time_as_negative_matches_a_hand_computation():
    generator = torch.Generator().manual_seed(0)
    n, d, e, t = 4, 3, 5, 0.5
    anchor, devices = torch.randn(n, e, generator=generator), torch.randn(n, d, e, generator=generator)
    weights = torch.tensor([0.0, 2.0, 0.5])  # device 0 is the anchor, 1 the positive
    loss, _ = DeviceContrastiveLoss(t, negatives="all")(anchor, devices, positive=1, negative_weights=weights)
    a, k = F.normalize(anchor, dim=-1), F.normalize(devices, dim=-1)
    expected = 0.0
    for i in range(n):
        positive = math.exp(float(a[i] @ k[i, 1]) / t)
        negatives = sum(
            float(weights[v]) * math.exp(float(a[i] @ k[j, v]) / t) for j in range(n) if j != i for v in range(d)
        )
        expected += -math.log(positive / (positive + negatives)) / n
    assert float(loss) == pytest.approx(expected, rel=1e-5)


def test_shuffled_negatives_are_other_times_of_the_negative_devices_weighted_by_device():
    weights = torch.tensor([0.0, 2.0, 0.5])
    objective = DeviceContrastiveLoss(0.5, negatives="shuffled", samples=3)
    pairs = objective.shuffled_pairs(6, weights, torch.Generator().manual_seed(0))
    assert pairs.shape == (6, 6, 3)
    assert (pairs[torch.arange(6), torch.arange(6)] == 0).all()  # never the anchor's own time
    torch.testing.assert_close(pairs.sum(1), 3 * weights.expand(6, 3))  # 3 draws per anchor and device
    assert (pairs[..., 0] == 0).all()
    again = objective.shuffled_pairs(6, weights, torch.Generator().manual_seed(0))
    assert torch.equal(pairs, again)


def test_shuffled_loss_matches_a_hand_computation_with_the_drawn_negatives():
    generator = torch.Generator().manual_seed(0)
    n, d, e, t = 5, 3, 4, 0.5
    anchor, devices = torch.randn(n, e, generator=generator), torch.randn(n, d, e, generator=generator)
    weights = torch.tensor([0.0, 2.0, 0.5])
    objective = DeviceContrastiveLoss(t)
    loss, _ = objective(anchor, devices, positive=1, negative_weights=weights, generator=torch.Generator().manual_seed(7))
    pairs = objective.shuffled_pairs(n, weights, torch.Generator().manual_seed(7))
    a, k = F.normalize(anchor, dim=-1), F.normalize(devices, dim=-1)
    expected = 0.0
    for i in range(n):
        positive = math.exp(float(a[i] @ k[i, 1]) / t)
        negatives = sum(float(pairs[i, j, v]) * math.exp(float(a[i] @ k[j, v]) / t) for j in range(n) for v in range(d) if j != i)
        expected += -math.log(positive / (positive + negatives)) / n
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert (pairs.sum(1)[:, 1:] > 0).all() and (pairs > 0).sum() <= n * 2


@pytest.mark.parametrize(("options", "message"), [({"negatives": "other"}, "shuffled"), ({"samples": 0}, "at least 1")])
def test_bad_negative_options_are_named(options, message):
    from multissl.errors import RecipeError

    with pytest.raises(RecipeError, match=message):
        DeviceContrastiveLoss(0.1, **options)


def _method(random_anchor=False):
    config = ColloSSLConfig(random_anchor=random_anchor, encoder_options={"channels": [8, 8], "kernel_sizes": [5, 3]})
    return ColloSSL(config, {"input_dim": 5})


def test_a_single_device_is_a_clear_error():
    batch = {"x": torch.randn(4, 32, 5), "devices": torch.randn(4, 1, 32, 5), "anchor": torch.zeros(4, dtype=torch.long)}
    with pytest.raises(InvalidDataError, match="at least two"):
        _method().ssl_loss(batch)


def test_random_anchor_is_seeded_and_gives_a_finite_loss_with_gradients():
    devices = torch.randn(6, 3, 32, 5, generator=torch.Generator().manual_seed(0))
    batch = {"x": devices[:, 0], "devices": devices, "anchor": torch.zeros(6, dtype=torch.long)}
    torch.manual_seed(0)
    method = _method(random_anchor=True)
    loss, logs = method.ssl_loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logs["positive_mmd"])
    assert all(p.grad is not None for p in method.encoder.parameters())


@pytest.mark.parametrize("method", ["collossl", "simclr"])
def test_tiny_pretrain_saves_loads_and_embeds_identically(method, tmp_path):
    from multissl_sensor.modality import Sensor

    source = Sensor().example()
    run = multissl.pretrain(
        "sensor", source, method=method, max_epochs=1, batch_size=8,
        **{"data.anchor": "imu1", "trainer.limit_train_batches": 2, "trainer.enable_progress_bar": False},
    )
    embeddings = run.embed(source)
    assert embeddings.shape == (31, 96) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def test_pretraining_collossl_on_a_single_device_stops_with_a_clear_error():
    from multissl_sensor.modality import Sensor

    source = Sensor().example()
    single = {"imu0": source["imu0"], "labels": source["labels"]}
    with pytest.raises(InvalidDataError, match="at least two synchronised devices"):
        multissl.pretrain("sensor", single, method="collossl", max_epochs=1, batch_size=8,
                          **{"trainer.enable_progress_bar": False, "trainer.loggers": []})


@pytest.mark.parametrize("encoder", [
    ("transformer", {"d_model": 16, "num_layers": 1, "num_heads": 2, "ffn_dim": 32}),
    ("cnn1d", {"channels": [8, 8], "kernel_sizes": [5, 3], "padding": "same", "pool": "mean"}),
])
def test_the_core_encoders_are_selectable(encoder):
    name, options = encoder
    method = ColloSSL(ColloSSLConfig(encoder=name, encoder_options=options), {"input_dim": 5})
    devices = torch.randn(6, 3, 32, 5)
    loss, _ = method.ssl_loss({"x": devices[:, 0], "devices": devices, "anchor": torch.zeros(6, dtype=torch.long)})
    assert torch.isfinite(loss) and method.embed({"x": devices[:, 0]}).shape == (6, method.encoder.output_dim)
