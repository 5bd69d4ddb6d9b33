"""The headless printer: plain, timestamped lines for batch jobs, nohup logs and CI.

No carriage returns, no escape codes, one flushed line per message. Progress within an epoch
is throttled by time (a log of a day-long run stays readable); epoch summaries, learning-rate
changes, warnings and the end are always printed. tuitrain/words.py words each line.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import TextIO

from tuitrain import words
from tuitrain.engine import events as ev


class HeadlessPrinter:
    def __init__(self, stream: TextIO, *, every_s: float = 10.0) -> None:
        self.stream = stream
        self.every_s = every_s
        self._last_progress = float("-inf")

    def __call__(self, event: ev.Event) -> None:
        line = self._format(event)
        if line is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(event.time))
            try:
                self.stream.write(f"{stamp}  {line}\n")
                self.stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        """The reader of a pipe went away (`| head`, a closed `| tee`): the run goes on, and
        everything it says is still in the run directory's events.jsonl."""
        devnull = open(os.devnull, "w")  # noqa: SIM115 (kept open for the rest of the run)
        with contextlib.suppress(OSError, ValueError):
            # Also under the stream's file descriptor, or the interpreter's last flush of
            # stdout at exit would raise the same error again.
            os.dup2(devnull.fileno(), self.stream.fileno())
        self.stream = devnull

    def _format(self, event: ev.Event) -> str | None:
        if isinstance(event, ev.StepProgress):
            now = time.monotonic()
            if now - self._last_progress < self.every_s:
                return None
            self._last_progress = now
        return words.headless_line(event)
