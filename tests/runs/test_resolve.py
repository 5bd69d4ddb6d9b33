"""Naming a run: a path, a name, a prefix; and finding the newest live one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tuitrain.errors import UserError
from tuitrain.runs.resolve import newest_live_run, newest_run, resolve_run, runs_named
from tuitrain.runs.status import this_process


def make_run(runs_dir: Path, name: str, status: str, started: float, pid: int | None = None):
    path = runs_dir / name
    path.mkdir()
    info = {**this_process(), "status": status, "started": started}
    if pid is not None:
        info.update(pid=pid, pid_started=None)
    (path / "status.json").write_text(json.dumps(info))
    return path


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    runs = tmp_path / "runs"
    runs.mkdir()
    return runs


@pytest.fixture
def dead_pid() -> int:
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(process.stdout)


def test_names_prefixes_and_paths(runs_dir: Path) -> None:
    run = make_run(runs_dir, "20261127-181500-resnet", "completed", 1.0)
    make_run(runs_dir, "20261127-181600-cnn", "completed", 2.0)
    assert resolve_run("20261127-181500-resnet", runs_dir) == run
    assert resolve_run("20261127-1815", runs_dir) == run
    assert resolve_run("res", runs_dir) == run  # the name after the date stamp
    assert resolve_run(str(run), runs_dir / "elsewhere") == run
    with pytest.raises(UserError, match="is not a run directory"):
        resolve_run(str(runs_dir / "nope"), runs_dir)


def test_a_prefix_shared_with_finished_runs_means_the_live_one(runs_dir: Path) -> None:
    make_run(runs_dir, "20261127-090000-cnn", "completed", 1.0)
    live = make_run(runs_dir, "20261127-100000-cnn", "running", 2.0)
    assert resolve_run("cnn", runs_dir) == live


def test_newest_live_run_skips_finished_and_dead_runs(runs_dir: Path, dead_pid: int) -> None:
    assert newest_live_run(runs_dir) is None
    make_run(runs_dir, "20261127-090000-a", "running", 100.0)
    paused = make_run(runs_dir, "20261127-100000-b", "paused", 200.0)
    make_run(runs_dir, "20261127-110000-c", "completed", 300.0)
    make_run(runs_dir, "20261127-120000-d", "running", 400.0, pid=dead_pid)
    assert newest_live_run(runs_dir) == paused
    assert newest_live_run(runs_dir / "missing") is None
    assert os.getpid() != dead_pid


def test_an_exact_name_wins_over_the_longer_names_it_starts(runs_dir: Path) -> None:
    exact = make_run(runs_dir, "20261201-100000-termtest", "completed", 1.0)
    make_run(runs_dir, "20261201-110000-termtest2", "completed", 2.0)
    assert resolve_run("termtest", runs_dir) == exact
    with pytest.raises(UserError, match="matches 2 runs"):
        resolve_run("term", runs_dir)  # a mere prefix of both is still ambiguous


def test_a_name_several_runs_share_takes_the_newest_and_says_which(runs_dir: Path) -> None:
    older = make_run(runs_dir, "20261201-100000-default", "completed", 1.0)
    newer = make_run(runs_dir, "20261201-110000-default", "completed", 2.0)
    make_run(runs_dir, "20261201-120000-default-wide", "completed", 3.0)
    notes: list[str] = []
    assert resolve_run("default", runs_dir, note=notes.append) == newer
    (note,) = notes
    assert "names 2 runs" in note and f"taking the newest, {newer.name}" in note
    assert older.name in note
    assert runs_named("default", runs_dir) == [older, newer]  # compare takes them all
    assert runs_named("default-wide", runs_dir) == [runs_dir / "20261201-120000-default-wide"]


def test_newest_run_is_the_last_started_whatever_its_state(runs_dir: Path) -> None:
    assert newest_run(runs_dir) is None
    make_run(runs_dir, "20261201-100000-a", "running", 100.0)
    last = make_run(runs_dir, "20261201-090000-b", "completed", 300.0)
    assert newest_run(runs_dir) == last
