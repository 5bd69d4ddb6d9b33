"""Signals become commands. Handlers only queue; the training loop acts at a step boundary.

SIGINT and SIGTERM: finish the step, checkpoint, exit 130 / 143. A second one quits at once.
SIGUSR1 (the usual cluster pre-emption warning): checkpoint and carry on.
SIGHUP (the SSH connection dropped): handed to a callback; by default training goes on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import termios
from collections.abc import Callable
from types import FrameType
from typing import Any

from tuitrain.engine import commands as cmd
from tuitrain.exitcodes import INTERRUPTED, TERMINATED

EXIT_CODES = {"SIGINT": INTERRUPTED, "SIGTERM": TERMINATED}
Handler = Callable[[int, FrameType | None], Any] | int | None
"""What signal.signal gives back: a function, SIG_DFL or SIG_IGN, or None (set outside Python)."""


class SignalBridge:
    def __init__(
        self,
        submit: Callable[[cmd.Command], None],
        *,
        training_begun: Callable[[], bool],
        on_hangup: Callable[[], None] | None = None,
        announce: bool = True,
    ) -> None:
        self._submit = submit
        self._training_begun = training_begun
        self._on_hangup = on_hangup
        self._announce = announce  # off under the monitor, which owns the terminal
        self.received: str | None = None
        self._previous: dict[int, Handler] = {}
        self._terminal: TerminalState | None = None

    def install(self) -> None:
        """Install the handlers (they can only live on the main thread)."""
        self._terminal = None if self._announce else TerminalState.save()
        handlers = [
            (signal.SIGINT, self._stop),
            (signal.SIGTERM, self._stop),
            (signal.SIGUSR1, self._save),
        ]
        # Under nohup, SIGHUP is ignored and stdout is a file: keep it that way.
        if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
            handlers.append((signal.SIGHUP, self._hangup))
        for signum, handler in handlers:
            self._previous[signum] = signal.signal(signum, handler)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            if handler is not None:  # None: a handler not set from Python, nothing to put back
                signal.signal(signum, handler)
        self._previous.clear()

    @property
    def exit_code(self) -> int | None:
        return EXIT_CODES.get(self.received) if self.received else None

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is not None or not self._training_begun():
            # Asked twice, or nothing trained yet to save: leave now.
            self.received = self.received or name
            self._quit_now(EXIT_CODES[name])
        self.received = name
        if self._announce:
            self._say(name)
        self._submit(cmd.Stop(status="interrupted", reason=f"{name} received", source="signal"))

    def _quit_now(self, code: int) -> None:
        """Leave at once. Not through SystemExit: the training thread may be inside torch,
        whose runtime aborts (exit 134) when the interpreter shuts down around it. Nothing is
        lost: events are flushed as they happen and checkpoints are written atomically."""
        if self._terminal is not None:
            self._terminal.restore()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)

    @staticmethod
    def _say(name: str) -> None:
        print(
            f"tuitrain: {name}: stopping after this step and saving a checkpoint "
            "(send it again to quit at once)",
            file=sys.stderr,
            flush=True,
        )

    def _save(self, signum: int, _frame: FrameType | None) -> None:
        self._submit(cmd.SaveOnSignal(source="signal"))

    def _hangup(self, signum: int, _frame: FrameType | None) -> None:
        if self._on_hangup is not None:
            self._on_hangup()


class TerminalState:
    """The terminal's modes before the monitor took it over, to put back on a hard exit."""

    # Leave the alternate screen; show the cursor; stop mouse reports and bracketed paste.
    RESET = "\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l"

    def __init__(self, fd: int, attributes: list[Any]) -> None:
        self.fd = fd
        self.attributes = attributes

    @classmethod
    def save(cls) -> TerminalState | None:
        fd = sys.stdin.fileno() if sys.stdin is not None else -1
        if fd < 0 or not os.isatty(fd):
            return None
        try:
            return cls(fd, termios.tcgetattr(fd))
        except termios.error:
            return None

    def restore(self) -> None:
        with contextlib.suppress(OSError, termios.error):
            if sys.__stdout__ is not None:  # None when Python started without a stdout
                os.write(sys.__stdout__.fileno(), self.RESET.encode())
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.attributes)


class HangUp:
    """SIGHUP: the terminal is gone, and reading or writing it would fail. The standard streams
    that were the terminal are pointed at /dev/null; then the caller's own reaction runs (keep
    logging in console.log, close the monitor). A SignalBridge calls it; used `with`, it
    installs itself as the SIGHUP handler (left alone under nohup, where SIGHUP is ignored)."""

    def __init__(self, on_hangup: Callable[[], None]) -> None:
        self.on_hangup = on_hangup
        self.happened = False
        # Asked now: once the terminal has hung up, isatty() on it may already fail.
        self._terminal_fds = [fd for fd in (0, 1, 2) if os.isatty(fd)]
        self._previous: Handler = None
        self._installed = False

    def __call__(self) -> None:
        if self.happened:
            return
        self.happened = True
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in self._terminal_fds:
            os.dup2(devnull, fd)
        os.close(devnull)
        self.on_hangup()

    def __enter__(self) -> HangUp:
        if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGHUP, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed and self._previous is not None:
            signal.signal(signal.SIGHUP, self._previous)
        self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del signum, frame
        self()
