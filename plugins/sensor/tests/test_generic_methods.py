"""The core's generic methods on sensor windows: one step each with the sensor defaults, then save, load and embed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from multissl_sensor.modality import Sensor
from multissl_sensor.steps_input import SensorSteps

import multissl
from multissl.errors import InvalidDataError
from multissl.methods.generic_input import Inputs
from multissl.plugins import registry

GENERIC = ("simclr", "vicreg", "barlow_twins", "byol", "mae")
QUIET = {"trainer.max_steps": 1, "trainer.enable_progress_bar": False, "trainer.loggers": []}


@pytest.mark.parametrize("method", GENERIC)
def test_each_generic_method_trains_a_step_saves_loads_and_embeds_identically(method, tmp_path):
    source = Sensor().example()
    run = multissl.pretrain("sensor", source, method=method, batch_size=8, **{"data.anchor": "imu1"}, **QUIET)
    embeddings = run.embed(source)
    assert embeddings.shape == (31, 96) and np.isfinite(embeddings).all()
    run.save(tmp_path / "run")
    np.testing.assert_array_equal(multissl.load(tmp_path / "run").embed(source), embeddings)


def test_the_generic_methods_are_listed_for_sensor():
    served = {name for name in registry().names("method") if "sensor" in registry().entry("method", name).modalities}
    assert served == {"collossl", *GENERIC}


def test_steps_input_gives_one_output_per_step_and_names_the_fix_otherwise():
    from multissl.encoders.cnn1d import CNN1dEncoder

    steps = SensorSteps(input_dim=5)
    x = torch.randn(4, 32, 5)
    same = CNN1dEncoder(input_dim=5, channels=[8], kernel_sizes=[5], padding="same")
    assert steps.encode(same, Inputs(x)).shape == (4, 32, 8)
    valid = CNN1dEncoder(input_dim=5, channels=[8], kernel_sizes=[5])
    with pytest.raises(InvalidDataError, match="padding: same"):
        steps.encode(valid, Inputs(x))
