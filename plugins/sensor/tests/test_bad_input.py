"""Bad sensor input: each case raises the ``multissl.errors`` error that names the problem, before training."""

from __future__ import annotations

import numpy as np
import pytest
from lightning.pytorch.callbacks import Callback
from multissl_sensor.modality import Sensor, SensorOptions
from multissl_sensor.streams import Recording

import multissl
from multissl.errors import EmptyDataError, InvalidDataError, NonFiniteDataError, RecipeError

QUIET = {"trainer.enable_progress_bar": False, "trainer.loggers": []}


def _streams(length=50, devices=("a", "b"), channels=3, labels=True):
    rng = np.random.default_rng(0)
    source = {d: rng.normal(size=(length, channels)).astype(np.float32) for d in devices}
    if labels:
        source["labels"] = np.arange(length) // 10
    return source


def _with(**changes):
    source = _streams()
    source.update(changes)
    return source


LOAD_CASES = {
    "unequal lengths": (_with(b=np.zeros((40, 3))), InvalidDataError, "equal length"),
    "unequal channel counts": (_with(b=np.zeros((50, 2))), InvalidDataError, "missing channels"),
    "another sample rate": (_with(b={"data": np.zeros((50, 3)), "sample_rate": 50}), InvalidDataError, "sampled at 50"),
    "window longer than the recording": (_streams(length=10), InvalidDataError, "window is 20"),
    "window longer than one of the recordings": (
        [Recording("long", _streams()), Recording("short", _streams(length=12))], InvalidDataError, r"'short': 12"),
    "a device all NaN": (_with(a=np.full((50, 3), np.nan)), EmptyDataError, "touches a NaN gap"),
    "infinite values": (_with(b=np.full((50, 3), np.inf)), NonFiniteDataError, "infinite"),
    "labels of the wrong length": (_with(labels=np.zeros(49)), InvalidDataError, "labels hold 49 samples"),
    "no device streams": ({"labels": np.zeros(50)}, EmptyDataError, "no device"),
    "an empty list of recordings": ([], EmptyDataError, "empty list"),
    "an unreadable object": (42, InvalidDataError, "cannot read a int"),
    "a missing file": ("no/such/file.npz", InvalidDataError, "does not exist"),
    "a 1-D device stream of zero length": (_with(b=np.zeros(0)), InvalidDataError, "non-empty"),
    "recordings with other devices": ([_streams(), _streams(devices=("a", "c"))], InvalidDataError, "same devices"),
    "labelled and unlabelled recordings": ([_streams(), _streams(labels=False)], InvalidDataError, "label all of them"),
    "two recordings with one name": ([Recording("s1", _streams()), Recording("s1", _streams())], InvalidDataError, "distinct"),
}


@pytest.mark.parametrize(("source", "error", "match"), LOAD_CASES.values(), ids=LOAD_CASES.keys())
def test_bad_streams_are_named_when_loaded(source, error, match):
    with pytest.raises(error, match=match):
        Sensor(SensorOptions(window=20, stride=10)).load(source)


OPTION_CASES = {
    "unknown anchor device": ({"anchor": "wrist"}, InvalidDataError, "data.anchor 'wrist' is not one of the devices"),
    "unknown selected device": ({"devices": ["a", "wrist"]}, InvalidDataError, r"Devices \['wrist'\] are not in the data"),
    "window of zero": ({"window": 0}, RecipeError, "must be positive"),
    "stride of zero": ({"stride": 0}, RecipeError, "must be positive"),
}


@pytest.mark.parametrize(("options", "error", "match"), OPTION_CASES.values(), ids=OPTION_CASES.keys())
def test_bad_data_options_are_named(options, error, match):
    with pytest.raises(error, match=match):
        Sensor(SensorOptions(**{"window": 20, "stride": 10, **options})).load(_streams())


class CountSteps(Callback):
    def __init__(self):
        self.steps = 0

    def on_train_batch_start(self, *args):
        self.steps += 1


def test_collossl_on_one_device_stops_before_the_first_step():
    counter = CountSteps()
    with pytest.raises(InvalidDataError, match="at least two synchronised devices; the data has 1"):
        multissl.pretrain("sensor", _streams(devices=("a",)), method="collossl", max_epochs=1, batch_size=4,
                          window=20, stride=10, callbacks=[counter], **QUIET)
    assert counter.steps == 0


EVALUATE_CASES = {
    "label fraction of zero": ({"label_fraction": 0.0}, "label_fraction must be in"),
    "label fraction above one": ({"label_fraction": 1.5}, "label_fraction must be in"),
    "repeated label fractions": ({"label_fraction": [0.1, 0.1]}, "list of distinct such values"),
    "empty label fractions": ({"label_fraction": []}, "label_fraction must be in"),
    "unknown classifier mode": ({"mode": "linear"}, "'linear' is not one of"),
    "no classifier steps": ({"classifier_steps": 0}, "classifier_steps must be a positive integer"),
    "misspelt option": ({"label_fractions": 0.1}, "Unknown key"),
}


@pytest.mark.parametrize(("block", "match"), EVALUATE_CASES.values(), ids=EVALUATE_CASES.keys())
def test_bad_evaluation_options_are_refused_before_the_data_is_read(block, match):
    with pytest.raises(RecipeError, match=match):  # the source does not exist: reading it would raise InvalidDataError
        multissl.pretrain("sensor", "no/such/file.npz", method="collossl", evaluate=block, **QUIET)


def test_leave_one_subject_out_without_labels_is_refused_before_the_data_is_read():
    with pytest.raises(RecipeError, match="needs labels"):
        multissl.pretrain("sensor", "no/such/file.npz", method="collossl", label_key=None, evaluate={}, **QUIET)


def test_the_method_option_once_named_anchor_is_refused_with_its_new_name():
    with pytest.raises(RecipeError, match="multi_anchor"):
        multissl.pretrain(recipe={"modality": "sensor", "data": {"source": _streams()},
                                  "method": {"name": "collossl", "anchor": "random"}})


def test_anchor_as_a_keyword_is_the_data_anchor():
    run = multissl.pretrain("sensor", _streams(length=128), method="collossl", anchor="b", window=64, stride=16, batch_size=4,
                            **{"trainer.max_steps": 1}, **QUIET)
    assert run.recipe.data.anchor == "b" and run.modality.anchor_index() == 1
