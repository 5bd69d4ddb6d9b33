"""The control protocol: newline-delimited JSON objects over a Unix stream socket.

Every message is one JSON object on one line with a string `type`. docs/control.md is the
reference; this module holds its constants, the framing (with a hard cap on line length) and
the per-connection rate limit. It imports neither torch nor textual: `tuitrain ctl` must start
fast.
"""

from __future__ import annotations

import json
import time
from typing import Any

VERSION = 1
MAX_REQUEST = 64 * 1024
"""Longest line a client may send, newline included."""
MAX_REPLY = 1024 * 1024
"""Longest line the server sends (an event with a long traceback fits)."""

CLIENT_KINDS = ("ctl", "attach")
"""What a client may say it is; it becomes the `source` of its commands."""

# Error codes in `error` replies.
BAD_JSON = "bad_json"
TOO_LONG = "too_long"
BAD_REQUEST = "bad_request"
UNKNOWN_TYPE = "unknown_type"
OUT_OF_ORDER = "out_of_order"
BAD_COMMAND = "bad_command"
BAD_SOURCE = "bad_source"
DUPLICATE_ID = "duplicate_id"
RATE_LIMITED = "rate_limited"
VERSION_MISMATCH = "version"
FORBIDDEN = "forbidden"
BUSY = "busy"
TIMEOUT = "timeout"
ENDED = "ended"
SLOW_CLIENT = "slow_client"
SHUTDOWN = "shutdown"
INTERNAL = "internal"


class ProtocolError(Exception):
    """A message that breaks the protocol; `code` is the error reply's code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def encode(message: dict[str, Any]) -> bytes:
    """One line: compact JSON, no NaN (JSON cannot hold it), newline-terminated."""
    text = json.dumps(message, separators=(",", ":"), allow_nan=False, default=str)
    return text.encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """A received line (without its newline) as a message, or ProtocolError."""
    try:
        message = json.loads(line.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(BAD_JSON, f"not a JSON line: {_short(exc)}") from None
    if not isinstance(message, dict):
        raise ProtocolError(BAD_REQUEST, "a message must be a JSON object")
    if not isinstance(message.get("type"), str):
        raise ProtocolError(BAD_REQUEST, "a message needs a string 'type'")
    return message


def error(code: str, message: str, request_id: Any = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if isinstance(request_id, str):
        reply["id"] = request_id
    return reply


def _no_constants(name: str) -> Any:
    # NaN and Infinity are not JSON; Python would accept them, and a NaN factor must not pass.
    raise ValueError(f"{name} is not allowed")


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "..."


class LineBuffer:
    """Splits a byte stream into lines, refusing any line longer than `limit` bytes.

    An over-long line is reported once, and the rest of it (up to the next newline) is
    skipped, so the stream stays in step and later messages still count.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._data = bytearray()
        self._skipping = False

    def feed(self, chunk: bytes) -> list[bytes | None]:
        """The complete lines in `chunk` (without newlines); None stands for a too-long line."""
        self._data += chunk
        lines: list[bytes | None] = []
        while True:
            end = self._data.find(b"\n")
            if end < 0:
                break
            line = bytes(self._data[:end])
            del self._data[: end + 1]
            if self._skipping:
                self._skipping = False
            elif end + 1 > self.limit:
                lines.append(None)
            else:
                lines.append(line)
        if len(self._data) >= self.limit:
            if not self._skipping:
                lines.append(None)
                self._skipping = True
            self._data.clear()
        return lines


class RateLimit:
    """A token bucket: `rate` messages a second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
