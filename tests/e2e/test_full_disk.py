"""A disk that fills up mid-run, for real: a small tmpfs under the runs folder, filled to the
last byte once the first epoch's checkpoint is written."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.e2e.helpers import read_events, run_argv, the_run_dir, wait_for_event
from tests.e2e.warm import WarmLauncher, WarmProcess
from tests.filesystems import fill, small_tmpfs
from tuitrain.exitcodes import NOT_SAVED
from tuitrain.runs.checkpoint import load_checkpoint
from tuitrain.runs.listing import list_runs


def test_a_disk_that_fills_mid_run_is_said_once_and_the_run_ends_saying_what_was_lost(
    warm: WarmLauncher, short_tmp: Path, processes: list[WarmProcess]
) -> None:
    with small_tmpfs(short_tmp / "runs") as runs_dir:
        argv = run_argv(runs_dir, epochs=3, data__size=800, train__report__seconds=0.05)
        out, err = short_tmp / "out", short_tmp / "err"
        process = warm.launch(argv, cwd=short_tmp, stdout=out, stderr=err)
        processes.append(process)
        run = the_run_dir(runs_dir)
        saved = wait_for_event(
            run, lambda e: e["type"] == "checkpoint", "the first epoch's checkpoint", 60
        )
        fill(runs_dir)
        code = process.wait(120)
        status = json.loads((run / "status.json").read_text())
        events = read_events(run)
        last = load_checkpoint(run / "checkpoints" / "last.pt")
        [listed] = list_runs(runs_dir)
    stdout, stderr = out.read_text(), err.read_text()
    assert code == NOT_SAVED, process.output()
    assert "Traceback" not in stderr
    said = [line for line in stdout.splitlines() if "No space left on device" in line]
    assert len([line for line in said if "the run trains on" in line]) == 1, stdout
    assert status["status"] == "unsaved" and status["ended_as"] == "completed", status
    assert saved["epoch"] == 1 and status["epoch"] == 3  # written in place, though the disk is full
    assert "could not save the final checkpoint" in status["unsaved"]
    assert "the newest saved one holds epoch 1" in status["unsaved"]
    assert "events of events.jsonl (No space left on device)" in status["unsaved"]
    assert last["progress"]["epoch"] == 1  # the work that was saved is whole
    assert listed.state == "unsaved"  # as tuitrain runs shows it
    assert events[-1]["type"] != "finished"  # the log could not hold the end; the status does
    assert "NOT SAVED" in stdout.splitlines()[-1]


FILE_LIMIT = 48 * 1024
"""Above the tiny run's log, below its checkpoints (about 64 kB)."""


def test_a_final_checkpoint_that_cannot_be_written_ends_the_run_with_exit_6(
    warm: WarmLauncher, short_tmp: Path, processes: list[WarmProcess]
) -> None:
    argv = run_argv(short_tmp / "runs", epochs=2, train__report__seconds=30)
    out, err = short_tmp / "out", short_tmp / "err"
    process = warm.launch(argv, cwd=short_tmp, stdout=out, stderr=err, file_size_limit=FILE_LIMIT)
    processes.append(process)
    assert process.wait(120) == NOT_SAVED, process.output()
    run = the_run_dir(short_tmp / "runs")
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "unsaved" and status["ended_as"] == "completed"
    assert status["unsaved"].startswith("could not save the final checkpoint (cannot write")
    assert "File too large" in status["unsaved"]
    [finished] = [e for e in read_events(run) if e["type"] == "finished"]
    assert finished["status"] == "completed" and finished["unsaved"] == status["unsaved"]
    assert "NOT SAVED: could not save the final checkpoint" in out.read_text().splitlines()[-1]
    assert "Traceback" not in err.read_text()


def test_a_signal_checkpoint_that_cannot_be_written_is_exit_6_not_143(
    warm: WarmLauncher, short_tmp: Path, processes: list[WarmProcess]
) -> None:
    argv = run_argv(short_tmp / "runs", epochs=50, train__report__seconds=30)
    out, err = short_tmp / "out", short_tmp / "err"
    process = warm.launch(argv, cwd=short_tmp, stdout=out, stderr=err, file_size_limit=FILE_LIMIT)
    processes.append(process)
    run = the_run_dir(short_tmp / "runs")
    wait_for_event(run, lambda e: e["type"] == "epoch", "the first epoch", 60)
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == NOT_SAVED, process.output()
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "unsaved" and status["ended_as"] == "interrupted"
    assert status["unsaved"].startswith("could not save the signal checkpoint")
