"""Resuming a run whose directory is read-only: said at once, exit 2, nothing touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.filesystems import read_only
from tests.runs.test_privacy import modes, run_once
from tuitrain.cli import main


def test_resume_in_a_read_only_run_directory_says_so_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_once(tmp_path / "runs")
    (run / "events.jsonl").open("a").write('{"type":"step","ti')  # a torn line to repair
    before = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    capsys.readouterr()
    with read_only(run):
        code = main(["resume", str(run), "--epochs", "2", "--headless"])
        held = {path: path.read_bytes() for path in run.rglob("*") if path.is_file()}
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"cannot resume {run}: {run} is read-only" in err
    assert f"cp -a {run} {run}-copy" in err and "Traceback" not in err
    assert held == before  # not one file changed or added
    assert modes(run)  # still readable afterwards
