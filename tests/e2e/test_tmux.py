"""The real `tuitrain run` in a real terminal (tmux): keys, resizes, quitting, what is left."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import TUITRAIN, of_type, read_events, run_argv, the_run_dir, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

MARKER = "tuitrain-exit="
START_S = 90.0  # the console script imports torch on a loaded machine first

# What a terminal looks like when a program has put it back as it found it.
CLEAN_MODES = {
    "alternate_on": "0",  # back on the normal screen
    "mouse_any_flag": "0",  # no mouse reporting
    "mouse_sgr_flag": "0",
    "cursor_flag": "1",  # the cursor visible
    "keypad_flag": "0",
    "wrap_flag": "1",  # line wrapping on again
}


class Tmux:
    """One tmux session on a private server (its own socket: the user's tmux is not touched)."""

    def __init__(self, socket: Path, session: str) -> None:
        self.socket = socket
        self.session = session
        self.pane_pid: int | None = None

    def start(self, columns: int, rows: int, cwd: Path, command: str) -> None:
        size = ["-x", str(columns), "-y", str(rows)]
        self("new-session", "-d", "-s", self.session, *size, "-c", str(cwd), command)
        # The pane's shell leads a process group that holds the command it runs.
        self.pane_pid = int(self("display", "-p", "-t", self.session, "#{pane_pid}"))

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            # Explicitly os.environ: once anything in this process has imported readline, the
            # C environment also holds COLUMNS=80 and LINES=24, which the pane would inherit,
            # and which override the real size in the run's shutil.get_terminal_size().
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return result.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.session)

    def lines(self) -> list[str]:
        return self.screen().splitlines()

    def shows(self, *words: str, timeout: float = 30.0) -> str:
        """The screen, once every word is on it."""

        def showing() -> str:
            screen = self.screen()
            return screen if all(word in screen for word in words) else ""

        return wait_until(showing, timeout, f"the screen showing {words}", self.screen)

    def press(self, key: str) -> None:
        self("send-keys", "-t", self.session, key)

    def resize(self, columns: int, rows: int) -> None:
        self("resize-window", "-t", self.session, "-x", str(columns), "-y", str(rows))

    def modes(self) -> dict[str, str]:
        shown = self(
            "display", "-p", "-t", self.session, "|".join(f"#{{{m}}}" for m in CLEAN_MODES)
        )
        return dict(zip(CLEAN_MODES, shown.strip().split("|"), strict=True))


@pytest.fixture
def tmux(short_tmp: Path) -> Iterator[Tmux]:
    session = Tmux(short_tmp / "tmux.sock", f"tte-{os.getpid()}")
    yield session
    # A run outlives its terminal (that is the point of SIGHUP handling): kill the pane's
    # processes first, then the server.
    if session.pane_pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(session.pane_pid, signal.SIGKILL)
    subprocess.run(["tmux", "-S", str(session.socket), "kill-server"], capture_output=True)


def test_the_monitor_in_tmux_pauses_lowers_the_lr_survives_resizes_and_quits_cleanly(
    tmux: Tmux, runs_dir: Path
) -> None:
    command = shlex.join([TUITRAIN, *run_argv(runs_dir, epochs=1000, name="tmux")])
    # The pane lives on after the command, to show what it left behind.
    tmux.start(100, 30, runs_dir.parent, f"{command}; echo {MARKER}$?; exec sleep 600")
    tmux.shows(
        "Loss", "Accuracy", "Learning rate", "Progress", "Events", "RUNNING", timeout=START_S
    )
    run = the_run_dir(runs_dir)

    tmux.press("p")
    assert tmux.shows("PAUSED").startswith(" PAUSED ")
    tmux.press("l")
    tmux.shows("(key, ×0.5)")  # the event log: the engine's answer, while nothing else moves

    for columns, rows in ((60, 20), (40, 12), (120, 40), (100, 30)):
        tmux.resize(columns, rows)
        wait_until(
            lambda c=columns, r=rows: (
                len(lines := tmux.lines()) == r
                and lines[0].startswith(" PAUSED ")
                and lines[-1].startswith("p ")  # the footer, redrawn at the bottom
                and max(map(len, lines)) <= c
            ),
            30.0,
            f"the monitor redrawn at {columns}x{rows}",
            tmux.screen,
        )
    assert tmux.lines()[-1].startswith("p resume ")  # paused: p resumes, and says so
    tmux.press("p")
    tmux.shows("RUNNING")

    tmux.press("q")
    tmux.shows("Stop training and quit?")
    tmux.press("y")
    screen = tmux.shows(MARKER, timeout=60.0)

    assert f"{MARKER}0" in screen
    joined = tmux("capture-pane", "-p", "-J", "-t", tmux.session)  # long lines unwrapped
    left = [line for line in joined.split("\n") if line.strip()]
    assert [line for line in left if not line.startswith((MARKER, "tuitrain: "))] == [], screen
    assert any(line.startswith("tuitrain: finished: stopped") for line in left), screen
    assert f"tuitrain: run directory {run}" in left, screen
    assert tmux.modes() == CLEAN_MODES

    events = read_events(run)
    by_key = [(e["type"], e["step"]) for e in events if e.get("source") == "key"]
    assert [kind for kind, _ in by_key] == ["paused", "lr", "resumed", "finished"]
    assert by_key[0][1] == by_key[1][1] == by_key[2][1]  # all while paused, at one step
    [lowered] = [e for e in of_type(events, "lr") if e["source"] == "key"]
    assert lowered["reason"] == "x0.5"
    saved, finished = events[-2:]
    assert (saved["type"], saved["reason"]) == ("checkpoint", "stop")
    assert (finished["type"], finished["status"]) == ("finished", "stopped")
