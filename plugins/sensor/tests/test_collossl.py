"""ColloSSL: MMD device selection, the weighted loss against a hand computation, end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from multissl_sensor.collossl import ColloSSL, ColloSSLConfig, convolution_kernels
from multissl_sensor.contrast import DeviceContrastiveLoss, pair_weights
from multissl_sensor.selection import device_distances, select_devices
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


def _distances():
    generator = torch.Generator().manual_seed(0)
    anchor = torch.randn(32, 16, generator=generator)
    magnitude = torch.stack([anchor + 2.0, anchor + 0.5, anchor, anchor + 1.0, anchor + 3.0])
    return mmd_to_each(anchor, magnitude, torch.tensor(COLLOSSL_SIGMAS))  # device order by MMD: 1, 3, 0, 4


@pytest.mark.parametrize(("strategy", "positives", "negatives"), [
    ("closest_only", [1], [1]),
    ("closest_pos_all_neg", [1], [0, 1, 3, 4]),
    ("hard_negative", [1], [0, 3]),
])
def test_each_strategy_picks_devices_by_their_mmd_order(strategy, positives, negatives):
    mmd = _distances()
    chosen = select_devices(mmd, anchor=2, strategy=strategy)
    assert chosen.positives.nonzero().flatten().tolist() == positives
    assert chosen.negatives.nonzero().flatten().tolist() == negatives
    torch.testing.assert_close(chosen.negative_weights[negatives], 1 / mmd[negatives])
    assert chosen.negative_weights[chosen.negatives.logical_not()].eq(0).all()
    unweighted = select_devices(mmd, anchor=2, strategy=strategy, weighted=False)
    assert unweighted.negative_weights[negatives].eq(1).all()


def test_random_and_static_selection_weigh_every_negative_one():
    mmd = _distances()
    drawn = [select_devices(mmd, 2, "random_selection", generator=torch.Generator().manual_seed(s)) for s in range(20)]
    picks = {(int(c.positives.nonzero()), int(c.negatives.nonzero())) for c in drawn}
    assert len(picks) > 3 and all(2 not in pick for pick in picks)
    assert all(c.negative_weights.sum() == 1 for c in drawn)
    static = select_devices(mmd, 2, "static", static_positives=[4], static_negatives=[0, 1])
    assert static.positives.nonzero().flatten().tolist() == [4]
    assert static.negative_weights.tolist() == [1, 1, 0, 0, 0]
    with pytest.raises(InvalidDataError, match="not devices other than the anchor"):
        select_devices(mmd, 2, "static", static_positives=[2], static_negatives=[0])


def test_per_channel_distance_averages_each_axis_mmd():
    generator = torch.Generator().manual_seed(0)
    devices = torch.randn(16, 3, 8, 5, generator=generator)
    devices[:, 2, :, 1] += 2.0  # device 2 differs on one axis
    sigmas = torch.tensor(COLLOSSL_SIGMAS)
    per_channel = device_distances(devices, 0, [0, 1, 2], "acc_per_channel", sigmas)
    by_hand = sum(mmd_to_each(devices[:, 0, :, c], devices[:, :, :, c].transpose(0, 1), sigmas) for c in range(3)) / 3
    torch.testing.assert_close(per_channel, by_hand)
    assert per_channel.argmax() == 2 and per_channel[0] == pytest.approx(0.0, abs=1e-5)
    norm = device_distances(devices, 0, [0, 1, 2], "acc_norm", sigmas)
    torch.testing.assert_close(norm, mmd_to_each(devices[:, 0, :, :3].norm(dim=-1), devices[..., :3].norm(dim=-1).transpose(0, 1), sigmas))


def _hand_loss(anchor, devices, positive, negative, t):
    a, k = F.normalize(anchor, dim=-1), F.normalize(devices, dim=-1)
    n, d = devices.shape[:2]
    total = 0.0
    for i in range(n):
        terms = [(float(positive[i, j, v]), float(negative[i, j, v]), math.exp(float(a[i] @ k[j, v]) / t))
                 for j in range(n) for v in range(d)]
        top = sum(p * e for p, _, e in terms)
        total += -math.log(top / (top + sum(w * e for _, w, e in terms))) / n
    return total


@pytest.mark.parametrize("sampling", ["unsync_neg", "sync_all", "unsync_all", "all_times"])
def test_loss_matches_a_hand_computation_for_every_sampling_mode(sampling):
    generator = torch.Generator().manual_seed(0)
    n, d, e, t = 5, 3, 4, 0.5
    anchor, devices = torch.randn(n, e, generator=generator), torch.randn(n, d, e, generator=generator)
    positive_weights, negative_weights = torch.tensor([0.0, 1.0, 0.0]), torch.tensor([0.0, 2.0, 0.5])
    positive, negative = pair_weights(n, positive_weights, negative_weights, sampling, 2, torch.Generator().manual_seed(7))
    loss, logs = DeviceContrastiveLoss(t)(anchor, devices, positive, negative)
    assert float(loss) == pytest.approx(_hand_loss(anchor, devices, positive, negative, t), rel=1e-5)
    assert positive.sum(1).eq(positive_weights).all()  # one positive window per anchor
    assert (negative[..., 0] == 0).all() and negative.sum(1)[:, 1:].gt(0).all()
    own = negative[torch.arange(n), torch.arange(n)]
    if sampling == "sync_all":
        torch.testing.assert_close(own, 2 * negative_weights.expand(n, d))  # the same time, twice
        torch.testing.assert_close(positive[torch.arange(n), torch.arange(n)], positive_weights.expand(n, d))
    else:
        assert own.eq(0).all()  # never the anchor's own time
    if sampling in ("unsync_neg", "unsync_all"):
        torch.testing.assert_close(negative.sum(1), 2 * negative_weights.expand(n, d))  # two draws per anchor and device
    if sampling == "all_times":
        torch.testing.assert_close(negative.sum(1), (n - 1) * negative_weights.expand(n, d))


def test_unsync_all_draws_the_positive_window_at_any_time():
    positive, _ = pair_weights(64, torch.tensor([0.0, 1.0]), torch.tensor([0.0, 1.0]), "unsync_all", 1,
                               torch.Generator().manual_seed(0))
    rows = positive[..., 1].argmax(1)
    assert (rows != torch.arange(64)).float().mean() > 0.8 and positive.sum() == 64


@pytest.mark.parametrize(("options", "message"), [
    ({"negative_samples": 0}, "at least 1"),
    ({"selection": "closest_only", "sampling": "sync_all"}, "loss is constant"),
    ({"selection": "static"}, "needs static_positives"),
    ({"selection": "static", "static_positives": [1], "static_negatives": [2], "multi_anchor": True}, "multi_anchor"),
    ({"static_positives": [1]}, "only apply to selection 'static'"),
    ({"kernel_l2": -1.0}, "non-negative"),
])
def test_bad_collossl_options_are_named(options, message):
    from multissl.errors import RecipeError

    with pytest.raises(RecipeError, match=message):
        ColloSSLConfig(**options)


@pytest.mark.parametrize(("key", "value"), [("selection", "closest"), ("sampling", "unsync"), ("distance", "mmd")])
def test_unknown_strategy_names_are_refused_with_the_allowed_ones(key, value):
    from multissl.errors import RecipeError

    with pytest.raises(RecipeError, match="is not one of"):
        multissl.pretrain(recipe={"modality": "sensor", "data": {"source": "no/such/file.npz"},
                                  "method": {"name": "collossl", key: value}})


def test_kernel_l2_penalises_the_convolution_kernels_only():
    method = _method()
    devices = torch.randn(6, 3, 32, 5, generator=torch.Generator().manual_seed(0))
    batch = {"x": devices[:, 0], "devices": devices, "anchor": torch.zeros(6, dtype=torch.long)}
    loss, logs = method.ssl_loss(batch)
    kernels = convolution_kernels(method.encoder)
    assert len(kernels) == 2 and all(k.dim() == 3 for k in kernels)
    expected = 1e-4 * sum(float(k.detach().square().sum()) for k in kernels)
    assert float(logs["kernel_l2"]) == pytest.approx(expected, rel=1e-5)
    assert float(loss) == pytest.approx(float(logs["contrastive_loss"]) + expected, rel=1e-5)
    method.config.kernel_l2 = 0.0
    unpenalised, logs = method.ssl_loss(batch)
    assert "kernel_l2" not in logs


def _method(multi_anchor=False, **options):
    config = ColloSSLConfig(multi_anchor=multi_anchor, encoder_options={"channels": [8, 8], "kernel_sizes": [5, 3]}, **options)
    return ColloSSL(config, {"input_dim": 5})


def test_a_single_device_is_a_clear_error():
    batch = {"x": torch.randn(4, 32, 5), "devices": torch.randn(4, 1, 32, 5), "anchor": torch.zeros(4, dtype=torch.long)}
    with pytest.raises(InvalidDataError, match="at least two"):
        _method().ssl_loss(batch)


@pytest.mark.parametrize("selection", ["closest_only", "closest_pos_all_neg", "hard_negative", "random_selection"])
def test_multi_anchor_is_seeded_and_gives_a_finite_loss_with_gradients(selection):
    devices = torch.randn(6, 3, 32, 5, generator=torch.Generator().manual_seed(0))
    batch = {"x": devices[:, 0], "devices": devices, "anchor": torch.zeros(6, dtype=torch.long)}
    torch.manual_seed(0)
    method = _method(multi_anchor=True, selection=selection)
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
