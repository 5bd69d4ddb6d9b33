"""kill -9 at random moments: the run directory always reads, and the run always resumes.

One run is killed, resumed, killed again, and so on: each trial is one process killed at a
moment drawn at random (while it starts up, at a random time, or while a checkpoint or the
status file is being written), and each resume must continue from the newest checkpoint.
The seed is in every failure message; TUITRAIN_E2E_SEED=<seed> replays the same moments.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import private_env
from tests.e2e.helpers import (
    final_files_intact,
    listed_state,
    of_type,
    read_events,
    run_argv,
    the_run_dir,
    tuitrain,
    wait_for_event,
    wait_until,
)
from tests.e2e.warm import WarmLauncher, WarmProcess
from tuitrain.config.loader import load_preset
from tuitrain.runs.checkpoint import load_latest

MOMENTS = ("random", "checkpoint write", "startup", "status write", "random", "checkpoint write")
"""When each process of the chain is killed: the first is the run itself, the rest its resumes."""


def temporary_files(run: Path, moment: str = "") -> set[Path]:
    """Files being written (or left half-written): `.<final name>.<random>.tmp`."""
    if moment == "checkpoint write":
        return set((run / "checkpoints").glob(".*.tmp"))
    if moment == "status write":
        return set(run.glob(".status.json.*.tmp"))
    return {*run.glob(".*.tmp"), *(run / "checkpoints").glob(".*.tmp")}


def newest_checkpoint_step(run: Path) -> int:
    return int(load_latest(run / "checkpoints").state["progress"]["step"])


class Chain:
    """One run and its successive resumes, each started by the warm launcher."""

    def __init__(
        self,
        warm: WarmLauncher,
        runs_dir: Path,
        processes: list[WarmProcess],
        env: dict[str, str] | None = None,
    ) -> None:
        self.warm = warm
        self.env = env
        self.runs_dir = runs_dir
        self.processes = processes
        self.count = 0

    def launch(self, argv: list[str]) -> WarmProcess:
        out = self.runs_dir.parent / f"process-{self.count}"
        self.count += 1
        process = self.warm.launch(
            argv,
            cwd=self.runs_dir.parent,
            env=self.env,
            stdout=out.with_suffix(".out"),
            stderr=out.with_suffix(".err"),
        )
        self.processes.append(process)
        return process

    def resume(self, run: Path) -> WarmProcess:
        return self.launch(["resume", run.name, "--runs-dir", str(self.runs_dir)])


def wait_resumed(run: Path, process: WarmProcess, resumes: int) -> dict[str, object]:
    """The run_resumed event of this process (the run's `resumes`-th)."""

    def found() -> dict[str, object] | None:
        seen = of_type(read_events(run), "run_resumed")
        return seen[resumes - 1] if len(seen) >= resumes else None

    return wait_until(found, 60.0, f"resume number {resumes} to continue", process.output)


def kill_at(moment: str, rng: random.Random, process: WarmProcess, run: Path) -> None:
    """Kill the process at the moment asked for."""
    if moment == "startup":
        time.sleep(rng.uniform(0.0, 0.5))
    elif moment == "random":
        time.sleep(rng.uniform(0.0, 0.6))
    else:  # the instant a new temporary file shows: that file is being written
        stale = temporary_files(run, moment)  # a killed writer's leftovers do not count
        wait_until(
            lambda: temporary_files(run, moment) - stale,
            30.0,
            f"a {moment}",
            process.output,
            every=0.001,
        )
    process.send_signal(signal.SIGKILL)


def assert_intact(run: Path, runs_dir: Path, context: str) -> None:
    assert final_files_intact(run) == [], context
    load_preset(str(run / "preset.yaml"))  # the preset a rerun would use still loads
    assert listed_state(runs_dir, run) == "interrupted", context


def test_kill_9_at_random_moments_leaves_a_run_that_reads_and_resumes(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    seed = int(os.environ.get("TUITRAIN_E2E_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    chain = Chain(warm, runs_dir, processes)
    # 5 steps per epoch and a checkpoint after each: many writes to land in. Far more epochs
    # than the trials use; the last resume is stopped through the control channel.
    process = chain.launch(run_argv(runs_dir, epochs=1000, data__size=100))
    run = the_run_dir(runs_dir)
    wait_for_event(run, lambda e: e["type"] == "checkpoint", "a first checkpoint", 60.0)
    for trial, moment in enumerate(MOMENTS):
        kill_at(moment, rng, process, run)
        context = f"seed {seed}, kills so far: {MOMENTS[: trial + 1]}"
        assert process.wait(30) == -signal.SIGKILL, context
        assert_intact(run, runs_dir, context)

        expected = newest_checkpoint_step(run)
        resumes = len(of_type(read_events(run), "run_resumed"))
        process = chain.resume(run)
        upcoming = MOMENTS[trial + 1] if trial + 1 < len(MOMENTS) else "the end"
        if upcoming != "startup":
            # Given time to start, the resume continues from the newest checkpoint.
            resumed = wait_resumed(run, process, resumes + 1)
            assert resumed["step"] == expected, context

    # The last resume stops when asked, with a checkpoint, exit 0.
    stopped = tuitrain("ctl", run.name, "stop", "--runs-dir", str(runs_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert process.wait(60) == 0, process.output()
    events = read_events(run)
    assert (events[-1]["type"], events[-1]["status"]) == ("finished", "stopped")
    assert list((run / "checkpoints").glob(".*.tmp")) == []  # resume swept half-written ones
    assert final_files_intact(run) == []
    assert listed_state(runs_dir, run) == "stopped"
    epochs = metrics_epochs(run)
    assert epochs == list(range(1, len(epochs) + 1)), f"seed {seed}: {epochs}"


def metrics_epochs(run: Path) -> list[int]:
    """The epoch of each row of metrics.csv, in file order."""
    with (run / "metrics.csv").open(newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_kill_9_while_checkpointing_an_epoch_leaves_one_metrics_row_per_epoch_after_resume(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    # Each epoch's row goes to metrics.csv before its checkpoint is written: a kill during
    # that write leaves a row for an epoch the checkpoint does not hold, which the resumed
    # run trains (and records) again.
    chain = Chain(warm, runs_dir, processes)
    process = chain.launch(run_argv(runs_dir, epochs=8, data__size=100))
    run = the_run_dir(runs_dir)
    last_pt = run / "checkpoints"

    def writing_a_later_epoch() -> bool:
        return (
            (run / "metrics.csv").exists()
            and len(metrics_epochs(run)) >= 2
            and any(last_pt.glob(".last.pt.*.tmp"))
        )

    wait_until(writing_a_later_epoch, 60.0, "an epoch checkpoint", process.output, every=0.001)
    process.send_signal(signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL
    covered = int(load_latest(run / "checkpoints").state["progress"]["epoch"])
    assert covered < max(metrics_epochs(run)), "the kill landed after the checkpoint"

    resumed = chain.resume(run)
    assert resumed.wait(120) == 0, resumed.output()
    assert metrics_epochs(run) == list(range(1, 9))
    exported = tuitrain("export", run.name, "--runs-dir", str(runs_dir))
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [int(row["epoch"]) for row in rows] == list(range(1, 9))
    with (run / "metrics.csv").open(newline="") as handle:
        assert [row["val_acc"] for row in csv.DictReader(handle)] == [r["val_acc"] for r in rows]
    steps = tuitrain("export", run.name, "--steps", "--runs-dir", str(runs_dir))
    numbers = [int(row["step"]) for row in csv.DictReader(io.StringIO(steps.stdout))]
    assert numbers == sorted(set(numbers))


@pytest.fixture(scope="module")
def crashed_then_resumed(warm: WarmLauncher) -> Iterator[tuple[Path, bytes]]:
    """A run killed after its first checkpoint, left as a crash in the middle of writing can
    leave it (the last event cut short, a half-written status.json beside the real one), then
    resumed to the end. Yields the run directory and the torn fragment."""
    home = Path(tempfile.mkdtemp(prefix="tte-"))
    runs_dir = home / "runs"
    processes: list[WarmProcess] = []
    try:
        chain = Chain(warm, runs_dir, processes, env=private_env(home))
        process = chain.launch(run_argv(runs_dir, epochs=2, data__size=100))
        run = the_run_dir(runs_dir)
        wait_for_event(run, lambda e: e["type"] == "checkpoint", "a first checkpoint", 60.0)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        # A power loss, a full disk, or a kill during a write of more than a page leaves the
        # last event cut short, without its newline, and the temporary file of a status.json
        # being replaced (atomic_write's name for it).
        events = run / "events.jsonl"
        data = events.read_bytes()
        last = data.rstrip(b"\n").rfind(b"\n") + 1
        fragment = data[last : last + (len(data) - last) // 2]
        events.write_bytes(data[:last] + fragment)
        (run / ".status.json.k1ll3d.tmp").write_text('{"status": "runn')
        resumed = chain.resume(run)
        assert resumed.wait(60) == 0, resumed.output()
        yield run, fragment
    finally:
        for process in processes:
            process.close()
        shutil.rmtree(home, ignore_errors=True)


def test_a_resume_after_a_torn_last_event_starts_on_a_line_of_its_own(
    crashed_then_resumed: tuple[Path, bytes],
) -> None:
    run, fragment = crashed_then_resumed
    lines = (run / "events.jsonl").read_bytes().splitlines()
    # Ending the fragment with a newline or cutting it off are both fine; gluing onto it is not.
    assert [line for line in lines if not parses(line)] in ([], [fragment])
    logs = [e["message"] for e in of_type(read_events(run), "log")]
    assert logs.count("training on CPU (fp32)") == 2  # one from each process


def test_a_resume_sweeps_a_half_written_status_file(
    crashed_then_resumed: tuple[Path, bytes],
) -> None:
    run, _ = crashed_then_resumed
    assert json.loads((run / "status.json").read_text())["status"] == "completed"
    assert list(run.glob(".*.tmp")) == []


def parses(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
