"""The `actrectut` dataset and the shipped ActRecTut recipes (one step on a slice); skipped where the data is absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from multissl_sensor.actrectut import DEVICES, actrectut
from multissl_sensor.modality import Sensor

import multissl
from multissl.errors import DatasetNotFoundError

ROOT = Path(__file__).resolve().parents[3].parent / "shared" / "datasets"
FOLDER = ROOT / "sensor" / "actrectut"
needs_data = pytest.mark.skipif(not FOLDER.is_dir(), reason=f"ActRecTut is not at {FOLDER} (see ../shared/datasets)")


@needs_data
def test_actrectut_gives_one_named_recording_per_subject_with_three_devices_and_labels():
    recordings = actrectut(FOLDER)
    assert [r.name for r in recordings] == ["subject1", "subject2"]
    first = recordings[0].source
    assert list(first) == [*DEVICES, "labels"]
    assert all(first[d].shape == (62_480, 5) for d in DEVICES)
    assert set(np.unique(first["labels"])) == set(range(1, 13))
    raw = Sensor().load(recordings)
    assert raw.recording_names == ["subject1", "subject2"] and raw.values.shape == (3, 62_480 + 70_778, 5)


def test_an_empty_folder_is_named(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="subjectN_gesture"):
        actrectut(tmp_path)


@needs_data
@pytest.mark.parametrize("recipe", [
    "sensor_collossl_actrectut", "sensor_simclr_actrectut", "sensor_collossl_selection_actrectut", "actrectut_generic",
])
def test_each_recipe_trains_one_step_and_reports_leave_one_subject_out_f1(recipe):
    run = multissl.pretrain(recipe=recipe, **{
        "data.root": str(ROOT), "data.stride": 128, "trainer.max_steps": 1, "trainer.enable_progress_bar": False,
        "trainer.loggers": [], "evaluate.classifier_steps": 2, "evaluate.pretrain_per_fold": False,
    })
    report = run.metrics["evaluation"]
    for key in ("loso/macro_f1", "loso/accuracy"):
        assert 0.0 <= report[key] <= 1.0 and 0.0 <= report["baseline/" + key] <= 1.0
    assert report["n_subjects"] == 2 and report["baseline"]
    if recipe == "sensor_collossl_selection_actrectut":
        assert 0.0 <= report["loso/macro_f1@0.5"] <= 1.0 and "baseline/loso/macro_f1@0.5" in report
