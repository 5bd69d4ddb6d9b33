"""One client connection on the server side: its buffers and its place in the conversation.

Only the server thread touches a Connection. Output is queued and written as the socket
accepts it. When a client falls behind, its step reports are coalesced (the newest replaces a
queued one); if it still falls further behind, it is sent a last error and disconnected.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from tuitrain.control import protocol


@dataclass(frozen=True)
class Limits:
    max_clients: int = 16
    rate: float = 200.0
    """Requests a second a client may send on average..."""
    burst: int = 400
    """...and in one burst."""
    coalesce_at: int = 64 * 1024
    """Bytes queued for a client beyond which its step reports are coalesced."""
    max_queued: int = 4 * 1024 * 1024
    """Bytes queued for a client beyond which it is disconnected."""
    ack_timeout: float = 10.0
    """Seconds to wait for the engine's answer to a command before replying `timeout`..."""
    slow_ack_timeout: float = 300.0
    """...or to one whose answer comes only once its work is done (SLOW_COMMANDS)."""
    close_grace: float = 1.0
    """Seconds a closing connection gets to take its last messages."""


NO_SIGNAL = getattr(socket, "MSG_NOSIGNAL", 0)
"""A client gone mid-write must raise EPIPE here, never SIGPIPE the training process (Python
ignores SIGPIPE, but a host application embedding the run may not)."""

SLOW_COMMANDS = frozenset({"validate", "checkpoint", "stop"})
"""Answered after a validation pass or a checkpoint write, which may take minutes."""


def ack_timeout(limits: Limits, command: str) -> float:
    return limits.slow_ack_timeout if command in SLOW_COMMANDS else limits.ack_timeout


class Connection:
    def __init__(self, sock: socket.socket, limits: Limits) -> None:
        self.sock = sock
        self.limits = limits
        self.lines = protocol.LineBuffer(protocol.MAX_REQUEST)
        self.rate = protocol.RateLimit(limits.rate, limits.burst)
        self.kind: str | None = None
        """'ctl' or 'attach' once the client said hello."""
        self.live_from: int | None = None
        """Sequence number of the first event sent live, once subscribed."""
        self.closing_at: float | None = None
        """When set, the connection closes once its queue is written, or at this time."""
        self.closed = False
        self.coalesced = 0
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._tail_droppable = False
        self._sending = memoryview(b"")

    @property
    def subscribed(self) -> bool:
        return self.live_from is not None

    @property
    def wants_write(self) -> bool:
        return bool(self._queue) or len(self._sending) > 0

    def send(self, message: dict[str, Any]) -> None:
        self._push(protocol.encode(message), droppable=False)

    def send_event(self, line: bytes, droppable: bool) -> None:
        if self.closing_at is not None:
            return
        if droppable and self._tail_droppable and self._queued > self.limits.coalesce_at:
            # Replace the queued step report at the tail: same place, newer numbers.
            self._queued += len(line) - len(self._queue[-1])
            self._queue[-1] = line
            self.coalesced += 1
            return
        self._push(line, droppable)

    def fail(self, code: str, message: str) -> None:
        """Drop what is queued, send a last error, and close once it is written."""
        if self.closing_at is not None:
            return
        self._queue.clear()
        self._queued = 0
        self._tail_droppable = False
        self._push(protocol.encode(protocol.error(code, message)), droppable=False)
        self.closing_at = time.monotonic() + self.limits.close_grace

    def finish(self, message: dict[str, Any] | None = None) -> None:
        """Close once everything queued (and `message`, if given) is written."""
        if self.closing_at is None:
            if message is not None:
                self.send(message)
            self.closing_at = time.monotonic() + self.limits.close_grace

    def _push(self, line: bytes, droppable: bool) -> None:
        if self.closing_at is not None:
            return
        self._queue.append(line)
        self._queued += len(line)
        self._tail_droppable = droppable
        if self._queued > self.limits.max_queued:
            self.fail(
                protocol.SLOW_CLIENT,
                "disconnected: this client fell too far behind the run's events",
            )

    def flush(self) -> None:
        """Write what the socket takes now; OSError when the peer is gone."""
        while True:
            if not self._sending:
                if not self._queue:
                    return
                self._sending = memoryview(self._take_batch())
            try:
                sent = self.sock.send(self._sending, NO_SIGNAL)
            except (BlockingIOError, InterruptedError):
                return
            self._sending = self._sending[sent:]

    def _take_batch(self) -> bytes:
        parts = []
        size = 0
        while self._queue and size < 256 * 1024:
            line = self._queue.popleft()
            parts.append(line)
            size += len(line)
        self._queued -= size
        if not self._queue:
            self._tail_droppable = False
        return b"".join(parts)

    def done(self, now: float) -> bool:
        """Whether a closing connection may be closed now."""
        if self.closing_at is None:
            return False
        return not self.wants_write or now >= self.closing_at

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            close_quietly(self.sock)


def close_quietly(sock: socket.socket) -> None:
    """Close after discarding what the client sent and we never read: closing on unread
    input makes the client's next read fail with ECONNRESET instead of a clean end."""
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        for _ in range(16):
            if not sock.recv(65536):
                break
    sock.close()
