"""Sensor augmentations: shapes, purity, seeding and what each one preserves."""

from __future__ import annotations

import pytest
import torch
from multissl_sensor.views.permutation import TimePermutation
from multissl_sensor.views.rotation import Rotation, random_rotations
from multissl_sensor.views.scaling import Scaling
from multissl_sensor.views.time_warp import TimeWarp

from multissl.errors import RecipeError


@pytest.mark.parametrize("view", [Scaling(0.2), Rotation([[0, 1, 2]]), TimePermutation(4), TimeWarp(0.2)])
def test_views_are_pure_seeded_and_change_the_data(view):
    x = torch.randn(6, 30, 5)
    before = x.clone()
    first = view(x, torch.Generator().manual_seed(1)).data
    again = view(x, torch.Generator().manual_seed(1)).data
    assert torch.equal(x, before) and torch.equal(first, again)
    assert first.shape == x.shape and not torch.equal(first, x)


def test_rotation_keeps_the_norm_of_each_triple_and_leaves_other_channels():
    x = torch.randn(4, 10, 5)
    out = Rotation().make_view(x, torch.Generator().manual_seed(0), torch.ones(4, 10, dtype=torch.bool)).data
    torch.testing.assert_close(out[..., :3].norm(dim=-1), x[..., :3].norm(dim=-1))
    assert torch.equal(out[..., 3:], x[..., 3:])
    rotations = random_rotations(8, torch.Generator().manual_seed(0), torch.device("cpu"), torch.float64)
    torch.testing.assert_close(rotations @ rotations.transpose(1, 2), torch.eye(3, dtype=torch.float64).expand(8, 3, 3))
    torch.testing.assert_close(torch.linalg.det(rotations), torch.ones(8, dtype=torch.float64))


def test_time_permutation_reorders_whole_segments_and_keeps_the_tail():
    x = torch.arange(10.0).view(1, 10, 1).expand(3, 10, 2)
    out = TimePermutation(3).make_view(x, torch.Generator().manual_seed(0), torch.ones(3, 10, dtype=torch.bool)).data
    for row in out[..., 0]:
        segments = sorted(row[:9].view(3, 3).tolist())
        assert segments == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and row[9] == 9


def test_time_warp_resamples_a_monotone_clock_that_keeps_both_ends():
    ramp = torch.arange(20.0).view(1, 20, 1).expand(4, 20, 2)
    out = TimeWarp(0.3, knots=3).make_view(ramp, torch.Generator().manual_seed(0), torch.ones(4, 20, dtype=torch.bool)).data
    clock = out[..., 0]  # on a ramp the output is the warped time itself
    assert (clock.diff(dim=1) > 0).all()
    torch.testing.assert_close(clock[:, [0, -1]], torch.tensor([[0.0, 19.0]]).expand(4, 2))
    assert torch.equal(out[..., 0], out[..., 1]) and not torch.allclose(clock, ramp[..., 0])
    still = TimeWarp(0.0).make_view(ramp, torch.Generator().manual_seed(0), torch.ones(4, 20, dtype=torch.bool)).data
    torch.testing.assert_close(still, ramp)
    with pytest.raises(RecipeError, match="knots"):
        TimeWarp(knots=0)


def test_each_view_is_registered_once_and_reads_as_its_options():
    from multissl.plugins import registry

    views = registry().names("view")
    assert "sensor_jitter" not in views  # jitter is the core's gaussian_noise
    assert {"sensor_scaling", "sensor_rotation", "sensor_permutation", "sensor_time_warp", "gaussian_noise"} <= set(views)
    assert repr(Rotation([[3, 4, 5]])) == "Rotation(groups=((3, 4, 5),))"
    assert repr(TimeWarp(0.1, knots=2)) == "TimeWarp(std=0.1, knots=2)"
    assert Scaling(0.1) == Scaling(0.1) and repr(TimePermutation()) == "TimePermutation(segments=4)"
