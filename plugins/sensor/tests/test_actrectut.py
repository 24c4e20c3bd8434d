"""Reading the shared ActRecTut gesture recordings (3 IMUs x 5 channels at 32 Hz); skipped when absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from multissl_sensor.modality import Sensor, SensorOptions

DATA = Path(__file__).resolve().parents[3] / "../shared/datasets/sensor/actrectut/subject1_gesture/data.mat"


@pytest.mark.skipif(not DATA.exists(), reason=f"ActRecTut is not at {DATA} (see ../shared/datasets/sensor)")
def test_actrectut_splits_into_three_devices_with_majority_labels():
    modality = Sensor(SensorOptions(window=64, stride=32, channels_per_device=5, anchor="device0"))
    raw = modality.load(DATA)
    assert raw.devices == ["device0", "device1", "device2"] and raw.values.shape == (3, 62_480, 5)
    modality.fit(raw)
    labels = modality.labels(raw)
    assert len(labels) == len(modality.dataset(raw)) == (62_480 - 64) // 32 + 1
    assert set(np.unique(labels)) <= set(range(1, 13))
