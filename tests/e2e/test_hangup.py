"""SIGHUP: the SSH connection drops under the monitor, and the run trains on, headless."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from tests.collector import Collector
from tests.e2e.helpers import (
    last_step,
    read_events,
    run_argv,
    the_run_dir,
    tuitrain,
    wait_for_event,
    wait_for_step,
    wait_until,
)
from tests.e2e.terminal import Terminal
from tests.e2e.warm import WarmLauncher, WarmProcess
from tuitrain.control.attach import AttachLink
from tuitrain.engine import events as ev


def epoch_lines(console_log: Path) -> list[str]:
    try:
        text = console_log.read_text()
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if re.search(r"  epoch \d+/1000 done in ", line)]


def test_a_hung_up_monitor_leaves_the_run_training_headless_and_steerable(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    with Terminal(columns=100, rows=30) as terminal:
        process = warm.launch(
            run_argv(runs_dir, epochs=1000, data__size=100),  # ended by SIGTERM below
            cwd=runs_dir.parent,
            tty=terminal.slave_name,
        )
        processes.append(process)
        run = the_run_dir(runs_dir)
        terminal.shows("RUNNING", "Loss", "Learning rate", "Events")
        hung_up_at = last_step(run)
        terminal.hang_up()

        # It trains on, and the lines the terminal would have shown go to console.log.
        wait_for_step(run, hung_up_at + 15, process.output)
        console = run / "console.log"
        wait_until(lambda: epoch_lines(console), 30.0, "an epoch line in console.log")
        assert process.poll() is None
        assert "\x1b" not in console.read_text()

        # Steerable from another shell...
        paused = tuitrain("ctl", run.name, "pause", "--runs-dir", str(runs_dir))
        assert paused.returncode == 0, paused.stderr
        assert re.fullmatch(r"paused at step \d+\n", paused.stdout)
        resumed = tuitrain("ctl", run.name, "resume", "--runs-dir", str(runs_dir))
        assert resumed.returncode == 0, resumed.stderr
        step = int(paused.stdout.split()[-1])
        wait_for_event(
            run, lambda e: e["type"] == "resumed" and e["source"] == "ctl", "resumed by ctl"
        )

        # ...and can be attached again: history, then live steps.
        link = AttachLink.open(run)
        seen = Collector()
        link.start(seen)
        try:
            seen.wait_for(lambda e: isinstance(e, ev.Paused) and e.step == step, "the history")
            seen.wait_for(
                lambda e: isinstance(e, ev.StepProgress) and e.step > step + 5, "live steps"
            )
        finally:
            link.close()

        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 143, process.output()
    saved, finished = read_events(run)[-2:]
    assert (saved["type"], saved["reason"]) == ("checkpoint", "signal")
    assert (finished["type"], finished["status"]) == ("finished", "interrupted")
    assert (run / "checkpoints" / "last.pt").is_file()
    assert "finished: interrupted (SIGTERM received)" in console.read_text()


def test_a_run_paused_when_its_terminal_went_away_says_so_and_how_to_resume(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    with Terminal(columns=100, rows=30) as terminal:
        process = warm.launch(
            run_argv(runs_dir, epochs=1000, data__size=100),  # ended by ctl stop below
            cwd=runs_dir.parent,
            tty=terminal.slave_name,
        )
        processes.append(process)
        run = the_run_dir(runs_dir)
        terminal.shows("RUNNING", "Events")
        wait_for_step(run, 3, process.output)
        os.write(terminal.master, b"p")
        paused = wait_for_event(run, lambda e: e["type"] == "paused", "the pause")
        terminal.hang_up()

        # At once, not at the next (never coming) progress line: where it waits, and how on.
        console = run / "console.log"
        wait_until(lambda: console.is_file() and console.read_text(), 10.0, "console.log")
        note = console.read_text()
        assert f"the terminal went away while paused at step {paused['step']}" in note, note
        assert f"tuitrain ctl {run.name} resume" in note and f"tuitrain attach {run.name}" in note
        listed = tuitrain("runs", "--runs-dir", str(runs_dir))
        assert re.search(rf"{run.name}\s+default\s+paused since \d\d:\d\d\s", listed.stdout), listed
        assert process.poll() is None

        assert tuitrain("ctl", run.name, "stop", "--runs-dir", str(runs_dir)).returncode == 0
        assert process.wait(60) == 0, process.output()
