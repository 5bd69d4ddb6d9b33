"""A pseudo-terminal for a run to draw on: its output read continuously, hung up at will."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import termios
import threading
from types import TracebackType

from tests.e2e.helpers import wait_until

# CSI and OSC sequences and the two-character escapes: what a terminal interprets, not shows.
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal:
    """The master side of a pty; the run gets the slave as its controlling terminal.

    Its output is drained all the time, as a terminal emulator would: a program writing to a
    terminal nobody reads blocks once the buffer fills."""

    def __init__(self, columns: int, rows: int, *, translate_newlines: bool = True) -> None:
        self.master, self._slave = os.openpty()
        self.slave_name = os.ttyname(self._slave)
        fcntl.ioctl(self._slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        if not translate_newlines:  # no \n -> \r\n on output, to see what the program wrote
            attrs = termios.tcgetattr(self._slave)
            attrs[1] &= ~termios.OPOST
            termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        self._output = bytearray()
        self._lock = threading.Lock()
        self._eof = threading.Event()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        # select with a timeout, not a blocking read: a read in progress would hold the master
        # open, and closing it would not hang up until the program next wrote something.
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 1 << 16)
            except OSError:  # EIO: every slave side is closed (the program exited)
                break
            if not chunk:
                break
            with self._lock:
                self._output.extend(chunk)
        self._eof.set()

    def detach_slave(self) -> None:
        """Close our copy of the slave (kept open until then: were it closed before the run
        opened its own, the master would read end-of-file and the output would be lost)."""
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def raw(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def text(self) -> str:
        """Everything written so far with the escape sequences taken out."""
        return ESCAPES.sub(b"", self.raw()).decode("utf-8", errors="replace")

    def shows(self, *words: str, timeout: float = 60.0) -> None:
        wait_until(
            lambda: all(word in self.text() for word in words),
            timeout,
            f"the terminal showing {words}",
            lambda: self.text()[-3000:],
        )

    def read_all(self, timeout: float = 30.0) -> str:
        """All of the output, once the program has closed the terminal (exited)."""
        self.detach_slave()
        wait_until(self._eof.is_set, timeout, "the end of the terminal's output")
        return self.raw().decode("utf-8", errors="replace")

    def hang_up(self) -> None:
        """Close the master side: the connection dropped, the session leader gets SIGHUP."""
        if self.master >= 0:
            self._stop.set()
            self._reader.join()
            os.close(self.master)
            self.master = -1

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.detach_slave()
        self.hang_up()
