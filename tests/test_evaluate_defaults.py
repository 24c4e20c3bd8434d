"""`multissl evaluate RUN` evaluates as the run's own evaluation did (its recipe's `evaluate:` block), unless
options say otherwise: one run never reports two different figures for the same evaluation."""

from __future__ import annotations

import json

import pytest

import multissl
from multissl.cli import main


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate") / "run"
    assert main(["pretrain", "breast_cancer_simclr", "--set", "trainer.max_epochs=1", "evaluate.label_fractions=[1.0]", f"output_dir={out}"]) == 0
    return out


def test_evaluate_without_options_repeats_the_runs_own_evaluation(saved_run, capsys):
    own = multissl.load(saved_run).metrics["evaluation"]
    assert own["n_test"] == 171, "the recipe's test_fraction 0.3 of 569 rows, not the evaluator's default 0.2"
    capsys.readouterr()
    assert main(["evaluate", str(saved_run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(own, default=float))


def test_an_option_given_on_the_command_line_takes_precedence(saved_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(saved_run), "--set", "test_fraction=0.5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_test"] == 285
