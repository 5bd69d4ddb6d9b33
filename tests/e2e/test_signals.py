"""Signals to a headless run in its own process: what it saves, how it ends, its exit code."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import (
    final_files_intact,
    listed_state,
    of_type,
    read_events,
    run_argv,
    the_run_dir,
    wait_for_event,
    wait_for_step,
)
from tests.e2e.warm import WarmLauncher, WarmProcess
from tuitrain.runs.checkpoint import load_checkpoint


def start(
    warm: WarmLauncher,
    runs_dir: Path,
    processes: list[WarmProcess],
    **settings: Any,
) -> tuple[WarmProcess, Path]:
    out = runs_dir.parent
    process = warm.launch(
        run_argv(runs_dir, **settings),
        cwd=out,
        stdout=out / "stdout.txt",
        stderr=out / "stderr.txt",
    )
    processes.append(process)
    return process, the_run_dir(runs_dir)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"]
)
def test_a_stop_signal_mid_training_saves_a_checkpoint_then_exits_with_its_code(
    warm: WarmLauncher,
    runs_dir: Path,
    processes: list[WarmProcess],
    signum: signal.Signals,
    code: int,
) -> None:
    process, run = start(warm, runs_dir, processes, epochs=1000)  # ended by the signal
    wait_for_step(run, 3, process.output)
    process.send_signal(signum)
    assert process.wait(60) == code, process.output()

    events = read_events(run)
    saved, finished = events[-2:]
    assert (saved["type"], saved["reason"]) == ("checkpoint", "signal")
    assert (finished["type"], finished["status"], finished["source"]) == (
        "finished",
        "interrupted",
        "signal",
    )
    assert finished["reason"] == f"{signum.name} received"
    assert saved["step"] == finished["step"] >= 3
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["progress"]["step"] == finished["step"]
    assert f"tuitrain: {signum.name}: stopping after this step" in process.stderr()
    assert final_files_intact(run) == []
    assert listed_state(runs_dir, run) == "interrupted"


def test_sigusr1_saves_a_checkpoint_and_training_carries_on_to_the_end(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    # 10 epochs of 5 steps: the signal lands at step 3, well before the end.
    process, run = start(warm, runs_dir, processes, epochs=10, data__size=100)
    wait_for_step(run, 3, process.output)
    process.send_signal(signal.SIGUSR1)
    assert process.wait(120) == 0, process.output()

    events = read_events(run)
    on_signal = [e for e in of_type(events, "checkpoint") if e["reason"] == "signal"]
    assert len(on_signal) == 1, of_type(events, "checkpoint")
    finished = events[-1]
    assert (finished["type"], finished["status"], finished["step"]) == ("finished", "completed", 50)
    assert 3 <= on_signal[0]["step"] < 50
    assert [e["epoch"] for e in of_type(events, "epoch")] == list(range(1, 11))
    assert f"checkpoint (signal) at step {on_signal[0]['step']}" in process.stdout()
    assert listed_state(runs_dir, run) == "finished"


def test_sigterm_while_the_data_is_prepared_exits_promptly_with_143(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    # 100,000 shapes take many seconds to draw: the signal lands while they are drawn.
    process, run = start(warm, runs_dir, processes, data__size=100_000)
    wait_for_event(
        run,
        lambda e: e["type"] == "log" and e["message"].startswith("drawing"),
        "the data being prepared",
        explain=process.output,
    )
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(30)
    assert time.monotonic() - sent < 5.0, "did not exit promptly"
    assert of_type(read_events(run), "run_started") == []  # it never began training
    assert listed_state(runs_dir, run) == "interrupted"
    assert code == 143, process.output()
