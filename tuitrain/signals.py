"""Signals become commands. Handlers only queue; the training loop acts at a step boundary.

SIGINT and SIGTERM: finish the step, checkpoint, exit 130 / 143. A second one quits at once.
SIGUSR1 (the usual cluster pre-emption warning): checkpoint and carry on.
SIGHUP (the SSH connection dropped): handed to a callback; by default training goes on.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType

from tuitrain.engine import commands as cmd
from tuitrain.exitcodes import INTERRUPTED, TERMINATED

EXIT_CODES = {"SIGINT": INTERRUPTED, "SIGTERM": TERMINATED}


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
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        """Install the handlers (they can only live on the main thread)."""
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
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()

    @property
    def exit_code(self) -> int | None:
        return EXIT_CODES.get(self.received) if self.received else None

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.received is not None or not self._training_begun():
            # Asked twice, or nothing trained yet to save: leave now.
            self.received = self.received or name
            raise SystemExit(EXIT_CODES[name])
        self.received = name
        if self._announce:
            self._say(name)
        self._submit(cmd.Stop(status="interrupted", reason=f"{name} received", source="signal"))

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
