"""Run directories: overwrite replaces only a run, corrupt or newer files are named, interrupted saves are repaired."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import multissl
from multissl.engine import atomic
from multissl.engine.run_directory import FORMAT_VERSION, RUN_ENTRIES
from multissl.errors import RunDirectoryError


def dead_pid() -> int:
    """The id of a process that has exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_overwrite_refuses_a_project_directory_and_leaves_it_untouched(tiny_run, tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.py").write_text("print('hello')")
    (project / "checkpoints").mkdir()
    before = snapshot(project)
    with pytest.raises(RunDirectoryError, match="not a run directory.*src"):
        tiny_run.save(project, overwrite=True)
    assert snapshot(project) == before


def test_overwrite_never_replaces_the_current_directory(tiny_run, tmp_path, monkeypatch):
    tiny_run.save(tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")  # even a run directory, when it is where the user stands
    with pytest.raises(RunDirectoryError, match="current directory"):
        tiny_run.save(".", overwrite=True)
    with pytest.raises(RunDirectoryError, match="current directory"):
        tiny_run.save("..", overwrite=True)
    assert (tmp_path / "run" / "run.json").is_file()


def test_save_refuses_a_file(tiny_run, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirectoryError, match="is a file"):
        tiny_run.save(tmp_path / "notes.txt", overwrite=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_overwrite_replaces_a_run_and_leaves_no_copies(tiny_run, tmp_path):
    target = tmp_path / "run"
    tiny_run.save(target)
    (target / "metrics.json").write_text('{"marker": 1}')
    tiny_run.save(target, overwrite=True)
    assert "marker" not in json.loads((target / "metrics.json").read_text())
    assert {p.name for p in target.iterdir()} <= RUN_ENTRIES
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_load_restores_the_old_run_when_a_save_was_killed_between_its_renames(tiny_run, tmp_path):
    pid = dead_pid()
    tiny_run.save(tmp_path / "saved")
    os.rename(tmp_path / "saved", tmp_path / f".run.{pid}.old")  # the old run, moved aside
    tiny_run.save(tmp_path / "new")
    os.rename(tmp_path / "new", tmp_path / f".run.{pid}.abc123.partial")  # the new run, not yet in place
    run = multissl.load(tmp_path / "run")
    assert run.embed(tiny_run.recipe.source).shape == (64, 8)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_the_next_save_removes_copies_left_by_killed_saves(tiny_run, tmp_path):
    pid = dead_pid()
    tiny_run.save(tmp_path / "run")
    for name in (f".run.{pid}.x1.partial", f".run.{pid}.old"):
        (tmp_path / name / "checkpoints").mkdir(parents=True)
    tiny_run.save(tmp_path / "run", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_a_save_in_progress_in_another_process_is_left_alone(tmp_path):
    in_progress = tmp_path / f".run.{os.getppid()}.x1.partial"
    in_progress.mkdir()
    atomic.recover_directory(tmp_path / "run")
    assert in_progress.is_dir()


def test_without_an_atomic_exchange_two_renames_still_replace_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_exchange", lambda first, second: False)
    target = tmp_path / "run"
    target.mkdir()
    (target / "a.txt").write_text("old")
    with atomic.atomic_directory(target) as staging:
        (staging / "a.txt").write_text("new")
    assert (target / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_the_exchange_swaps_in_one_step(tmp_path):
    if sys.platform != "linux":
        pytest.skip("renameat2 is Linux-only")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from_a").touch()
    assert atomic._exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from_a"]
    assert list((tmp_path / "a").iterdir()) == []


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("run.json", "{not json", "run.json is corrupt"),
        ("run.json", "[1, 2]", "run.json is corrupt"),
        ("metrics.json", "", "metrics.json is corrupt"),
        ("recipe.yaml", "a: [unclosed", "recipe.yaml is corrupt"),
        ("preprocessing.json", "null", "preprocessing.json is corrupt"),
        ("preprocessing.safetensors", "garbage", "preprocessing.safetensors is corrupt"),
        ("weights.safetensors", "garbage", "weights.safetensors is corrupt"),
    ],
)
def test_a_corrupt_file_is_named(tiny_run, tmp_path, name, content, match):
    tiny_run.save(tmp_path / "run")
    (tmp_path / "run" / name).write_text(content)
    with pytest.raises(RunDirectoryError, match=match):
        multissl.load(tmp_path / "run")


def test_a_newer_format_says_to_upgrade(tiny_run, tmp_path):
    tiny_run.save(tmp_path / "run")
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["format_version"] == FORMAT_VERSION
    (tmp_path / "run" / "run.json").write_text(json.dumps({**info, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(RunDirectoryError, match="Upgrade multissl"):
        multissl.load(tmp_path / "run")


def test_a_recipe_this_version_does_not_know_is_blamed_on_the_saved_run(tiny_run, tmp_path):
    tiny_run.save(tmp_path / "run")
    recipe = tmp_path / "run" / "recipe.yaml"
    recipe.write_text(recipe.read_text() + "new_top_level_block: {x: 1}\n")
    with pytest.raises(RunDirectoryError, match="recipe saved in .*upgrade multissl"):
        multissl.load(tmp_path / "run")


def test_a_preprocessing_state_of_the_wrong_shape_is_named(tiny_run, tmp_path):
    tiny_run.save(tmp_path / "run")
    (tmp_path / "run" / "preprocessing.json").write_text("{}")
    with pytest.raises(RunDirectoryError, match="preprocessing.json does not hold"):
        multissl.load(tmp_path / "run")
