"""A bare socket client for tests that must say what no well-behaved client would."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any


class RawClient:
    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self._buffer = b""

    def send(self, message: dict[str, Any] | bytes) -> None:
        data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
        self.sock.sendall(data)

    def hello(self, client: str = "ctl") -> dict[str, Any]:
        self.send({"type": "hello", "version": 1, "client": client})
        return self.expect("welcome")

    def read(self, timeout: float = 5.0) -> dict[str, Any]:
        """The next message; AssertionError on end of stream or timeout."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            assert chunk, "the server closed the connection"
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next message that is not a live event; it must be of type `kind`."""
        while True:
            message = self.read(timeout)
            if message["type"] != "event":
                assert message["type"] == kind, message
                return message

    def closed_by_server(self, timeout: float = 5.0) -> bool:
        """Whether the server hangs up (reading and discarding whatever it still sends)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()
