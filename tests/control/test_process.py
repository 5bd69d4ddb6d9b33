"""What users hit: the run in one process, `ctl` in another, and runs that die under us."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector import Collector
from tests.control.conftest import RUN_NAME
from tests.control.harness import FakeRun
from tests.control.test_attach import attached
from tuitrain.control.attach import AttachLink
from tuitrain.control.errors import NotRunning
from tuitrain.engine import events as ev
from tuitrain.exitcodes import NOT_RUNNING

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_process(runs_dir: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.control.fake_run", str(runs_dir / RUN_NAME)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    assert ready.startswith("ready "), ready
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(5)
    process.stdout.close()


def ctl(runs_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuitrain.control", "ctl", *args, "--runs-dir", str(runs_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_ctl_steers_a_run_in_another_process(
    run_process: subprocess.Popen[str], runs_dir: Path
) -> None:
    paused = ctl(runs_dir, "tiny", "pause")
    assert (paused.returncode, paused.stderr) == (0, "")
    assert paused.stdout.startswith("paused at step ")
    scaled = ctl(runs_dir, "tiny", "lr-scale", "0.5")
    assert scaled.stdout.startswith("learning rate 0.1 -> 0.05 (x0.5) at step ")
    stopped = ctl(runs_dir, "tiny", "stop")
    assert stopped.returncode == 0 and stopped.stdout.startswith("stopped at step ")
    assert run_process.wait(5) == 0
    assert not (runs_dir / RUN_NAME / "control.sock").exists()
    after = ctl(runs_dir, "tiny", "resume")
    assert after.returncode == NOT_RUNNING
    assert after.stderr.strip().endswith("is not running (status: stopped)")


def test_a_killed_run_is_not_running_and_its_socket_is_reclaimed(
    run_process: subprocess.Popen[str], runs_dir: Path
) -> None:
    run_dir = runs_dir / RUN_NAME
    link, events = attached_to(run_dir)
    os.kill(run_process.pid, signal.SIGKILL)
    run_process.wait(5)
    warned = events.wait_for(lambda e: isinstance(e, ev.Warned))
    assert warned.message.startswith("lost the connection to the run (status: interrupted)")
    link.close()
    assert (run_dir / "control.sock").exists()  # left behind by the dead process
    result = ctl(runs_dir, "tiny", "pause")
    assert result.returncode == NOT_RUNNING
    assert (
        result.stderr.strip()
        == f"tuitrain ctl: run {RUN_NAME} is not running (status: interrupted)"
    )
    with pytest.raises(NotRunning):
        AttachLink.open(run_dir)
    with FakeRun(run_dir) as resumed:  # the same run directory, started again
        assert resumed.socket == run_dir / "control.sock"
        link, events = attached(resumed)
        events.wait_for(lambda e: isinstance(e, ev.Log) and e.message == "seq 5")
        link.close()


def attached_to(run_dir: Path) -> tuple[AttachLink, Collector]:
    link = AttachLink.open(run_dir)
    events = Collector()
    link.start(events)
    events.wait_for(lambda e: isinstance(e, ev.Log) and e.message.startswith("seq "))
    return link, events
