"""`tuitrain run --devices 2` for real: CPU workers (gloo) under torch.distributed.run.

Each test starts one two-rank job (or two single-worker "nodes"), so each costs a few
seconds of process starts: torch is imported by the launcher and by both workers.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.distributed.gloo import free_port
from tests.e2e.helpers import (
    TUITRAIN,
    of_type,
    read_events,
    run_argv,
    the_run_dir,
    tuitrain,
    wait_for_event,
    wait_until,
)
from tests.e2e.test_tmux import CLEAN_MODES, MARKER, Tmux
from tuitrain.runs.checkpoint import load_checkpoint
from tuitrain.runs.status import read_status

START_S = 150.0  # three processes import torch on a loaded machine first
LONG = {"data__size": 100, "schedule__kind": "constant", "model__norm": "group"}


@pytest.fixture
def tmux(short_tmp: Path) -> Iterator[Tmux]:
    """A private tmux server, as in test_tmux.py; its pane's processes are killed at the end."""
    session = Tmux(short_tmp / "tmux.sock", f"tdd-{os.getpid()}")
    yield session
    if session.pane_pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session.pane_pid, signal.SIGKILL)
    subprocess.run(["tmux", "-S", str(session.socket), "kill-server"], capture_output=True)


def start(runs_dir: Path, *extra: str, name: str = "ddp", epochs: int = 1000) -> subprocess.Popen:
    out = runs_dir.parent
    argv = [TUITRAIN, *run_argv(runs_dir, epochs=epochs, name=name, **LONG), *extra]
    return subprocess.Popen(
        argv,
        cwd=out,
        stdout=(out / "stdout.txt").open("w"),
        stderr=(out / "stderr.txt").open("w"),
        start_new_session=True,
    )


def output(runs_dir: Path) -> str:
    out = runs_dir.parent
    return (out / "stdout.txt").read_text() + (out / "stderr.txt").read_text()


def wait_for_step(run: Path, step: int, runs_dir: Path) -> None:
    wait_for_event(
        run,
        lambda e: e["type"] == "step" and e["step"] >= step,
        f"step {step}",
        timeout=START_S,
        explain=lambda: output(runs_dir),
    )


def rank_log(run: Path, rank: int) -> str:
    return (run / f"rank-{rank}.log").read_text()


def steps_in_log(log: str, phrase: str) -> list[int]:
    return [int(m) for m in re.findall(re.escape(phrase) + r".*? at step (\d+)", log)]


def ctl(run: Path, runs_dir: Path, *args: str) -> str:
    result = tuitrain("ctl", run.name, *args, "--runs-dir", str(runs_dir), timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_ctl_steers_both_ranks_at_one_step_and_sigterm_stops_both_then_one_process_resumes(
    runs_dir: Path,
) -> None:
    launcher = start(runs_dir, "--devices", "2", "--headless")
    try:
        run = the_run_dir(runs_dir, timeout=START_S)
        wait_for_step(run, 3, runs_dir)
        ctl(run, runs_dir, "pause")
        ctl(run, runs_dir, "lr-scale", "0.5")
        ctl(run, runs_dir, "checkpoint")
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=90) == 143, output(runs_dir)
    finally:
        launcher.kill()

    events = read_events(run)
    [paused] = of_type(events, "paused")
    [lowered] = of_type(events, "lr")
    saved = of_type(events, "checkpoint")
    finished = events[-1]
    step = paused["step"]
    assert lowered["step"] == step and lowered["reason"] == "x0.5"
    assert [(e["reason"], e["step"]) for e in saved[-2:]] == [("user", step), ("signal", step)]
    assert (finished["type"], finished["status"], finished["step"]) == (
        "finished",
        "interrupted",
        step,
    )
    # The other rank applied each command at that same step (its own log says so), and wrote
    # nothing but its log: no second run directory, no checkpoint of its own.
    log = rank_log(run, 1)
    assert steps_in_log(log, "paused") == [step]
    assert steps_in_log(log, "learning rate") == [step]
    assert steps_in_log(log, "checkpoint (user)") == [step]
    assert steps_in_log(log, "checkpoint (signal)") == [step]
    assert re.search(rf"finished: interrupted \(SIGTERM received.*, {step} steps", log), log
    assert len(list(runs_dir.iterdir())) == 1
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["world_size"] == 2 and state["progress"]["step"] == step

    # One process resumes the two-rank checkpoint, and says that it does not continue exactly
    epochs = str(finished["epoch"] + 1)
    resumed = tuitrain("resume", str(run), "--headless", "--epochs", epochs, timeout=START_S)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "trained on 2 devices, resumed on 1" in resumed.stdout + resumed.stderr
    assert read_events(run)[-1]["status"] == "completed"


def _rank_pid(launcher: int, rank: int) -> int | None:
    """The worker the launcher started for `rank` (from /proc: its parent and environment)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        parent = stat[stat.rfind(")") + 2 :].split()[1]
        if parent == str(launcher) and f"RANK={rank}".encode() in environ:
            return int(entry.name)
    return None


def test_a_rank_killed_ends_the_job_within_seconds_naming_it_and_the_run_stays_resumable(
    runs_dir: Path,
) -> None:
    launcher = start(runs_dir, "--devices", "2", "--headless")
    try:
        run = the_run_dir(runs_dir, timeout=START_S)
        wait_for_event(run, lambda e: e["type"] == "checkpoint", "a checkpoint", START_S)
        victim = wait_until(lambda: _rank_pid(launcher.pid, 1), 10, "rank 1's process")
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        code = launcher.wait(timeout=60)
        ended_s = time.monotonic() - killed
    finally:
        launcher.kill()
    said = (runs_dir.parent / "stderr.txt").read_text()
    assert code != 0 and ended_s < 30, (code, ended_s, said)
    errors = [line for line in said.splitlines() if line.startswith("tuitrain: error:")]
    assert len(errors) == 1, said
    assert re.match(r"tuitrain: error: rank 1 on \S+ was killed by SIGKILL", errors[0]), said
    assert "Traceback" not in said
    assert read_status(run)["status"] not in ("running", "paused")
    load_checkpoint(run / "checkpoints" / "last.pt")  # what resume starts from


def test_two_nodes_of_one_worker_each_train_a_run_to_its_end(runs_dir: Path) -> None:
    out = runs_dir.parent
    port = free_port()
    argv = run_argv(runs_dir, epochs=2, name="nodes", **LONG)
    agent = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=2",
        "--nproc-per-node=1",
        "--rdzv-backend=c10d",
        f"--rdzv-endpoint=127.0.0.1:{port}",
        "--rdzv-id=tuitrain-e2e",
        "-m",
        "tuitrain",
        *argv,
        "--headless",
    ]
    nodes = [
        subprocess.Popen(
            agent, cwd=out, stdout=(out / f"node{n}.txt").open("w"), stderr=subprocess.STDOUT
        )
        for n in range(2)
    ]
    try:
        codes = [node.wait(timeout=START_S + 60) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    said = "".join((out / f"node{n}.txt").read_text() for n in range(2))
    assert codes == [0, 0], said
    run = the_run_dir(runs_dir)
    finished = read_events(run)[-1]
    assert (finished["type"], finished["status"], finished["epoch"]) == ("finished", "completed", 2)
    assert "finished: completed" in rank_log(run, 1)
    assert load_checkpoint(run / "checkpoints" / "last.pt")["world_size"] == 2


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_the_monitor_of_a_two_rank_run_in_tmux_steers_both_and_only_rank_0_draws(
    tmux: Tmux, runs_dir: Path
) -> None:
    argv = [TUITRAIN, *run_argv(runs_dir, epochs=1000, name="tmux", **LONG), "--devices", "2"]
    tmux.start(100, 30, runs_dir.parent, f"{shlex.join(argv)}; echo {MARKER}$?; exec sleep 600")
    tmux.shows("Loss", "Progress", "Events", "RUNNING", timeout=START_S)
    run = the_run_dir(runs_dir)
    tmux.press("p")
    assert tmux.shows("PAUSED").startswith(" PAUSED ")
    tmux.press("p")
    tmux.shows("RUNNING")
    tmux.press("q")
    tmux.shows("Stop training and quit?")
    tmux.press("y")
    screen = tmux.shows(MARKER, timeout=90.0)

    assert f"{MARKER}0" in screen
    joined = tmux("capture-pane", "-p", "-J", "-t", tmux.session)
    left = [line for line in joined.split("\n") if line.strip()]
    # Only rank 0's farewell: rank 1's lines went to its log, torchrun's agent said nothing
    assert [line for line in left if not line.startswith((MARKER, "tuitrain: "))] == [], screen
    assert tmux.modes() == CLEAN_MODES
    events = read_events(run)
    by_key = [(e["type"], e["step"]) for e in events if e.get("source") == "key"]
    assert [kind for kind, _ in by_key] == ["paused", "resumed", "finished"]
    log = rank_log(run, 1)
    assert steps_in_log(log, "paused") == [by_key[0][1]]
    assert steps_in_log(log, "resumed") == [by_key[1][1]]
    assert re.search(rf"finished: stopped.*, {by_key[2][1]} steps", log), log
