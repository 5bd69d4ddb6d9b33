"""A blocking client for a run's control socket: `tuitrain ctl`, and the attach link's threads.

Every failure becomes a ControlError subclass with a message fit to show as it is: the run is
not running, the socket is someone else's, the other end speaks another protocol, no answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from tuitrain.control import protocol
from tuitrain.control.errors import (
    ControlError,
    NoAnswer,
    NotRunning,
    PermissionDenied,
    ProtocolMismatch,
)
from tuitrain.control.paths import remove_if_stale
from tuitrain.control.peer import peer_uid
from tuitrain.engine.commands import Command
from tuitrain.engine.events import CommandRejected, Event, event_from_dict
from tuitrain.runs.files import SOCKET
from tuitrain.runs.status import LIVE, read_status

CONNECT_TIMEOUT = 5.0
DEFAULT_ACK_TIMEOUT = 300.0
ANSWER_MARGIN = 5.0
"""Seconds to wait past the server's own ack timeout before giving up on it."""
_GONE = (protocol.ENDED, protocol.SHUTDOWN)


def socket_path(run_dir: Path, status: dict[str, Any] | None = None) -> Path:
    """The run's socket: the one status.json names, else `<run dir>/control.sock`."""
    status = read_status(run_dir) if status is None else status
    named = status.get("control")
    return Path(named) if isinstance(named, str) and named else run_dir / SOCKET


class ControlClient:
    def __init__(self, sock: socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path
        self.welcome: dict[str, Any] = {}
        self.kind = ""
        """What this client said it is at hello; the source of the commands it sends."""
        self._lines = protocol.LineBuffer(protocol.MAX_REPLY)
        self._ready: list[bytes | None] = []

    @classmethod
    def connect(cls, path: Path, kind: str, *, timeout: float = CONNECT_TIMEOUT) -> ControlClient:
        """Connect to the socket at `path` and say hello as a `kind` ('ctl' or 'attach')."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except OSError as exc:
            sock.close()
            raise _connect_error(path, exc) from None
        client = cls(sock, path)
        try:
            _check_owner(sock, path)
            client._hello(kind, timeout)
        except BaseException:
            client.close()
            raise
        return client

    def _hello(self, kind: str, timeout: float) -> None:
        self.kind = kind
        self.send({"type": "hello", "version": protocol.VERSION, "client": kind})
        reply = self.receive(timeout)
        if reply["type"] == "error":
            raise _error_for(reply)
        if reply["type"] != "welcome" or reply.get("version") != protocol.VERSION:
            raise ProtocolMismatch(f"{self.path} answered hello with {reply['type']!r}")
        self.welcome = reply

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.sock.sendall(protocol.encode(message))
        except TimeoutError:
            raise NoAnswer(f"{self.path} is not taking messages") from None
        except OSError as exc:
            raise NotRunning(f"the run closed the connection ({exc.strerror or exc})") from None

    def receive(self, timeout: float | None = None) -> dict[str, Any]:
        """The next message; NoAnswer after `timeout` seconds, NotRunning when the run hangs up."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            self._ready = self._lines.feed(self._recv(deadline))
        line = self._ready.pop(0)
        if line is None:
            raise ProtocolMismatch(f"{self.path} sent a line longer than {protocol.MAX_REPLY}")
        try:
            return protocol.decode(line)
        except protocol.ProtocolError:
            raise ProtocolMismatch(f"{self.path} is not a tuitrain control socket") from None

    def _recv(self, deadline: float | None) -> bytes:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise NoAnswer(f"no answer from {self.path} in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise NoAnswer(f"no answer from {self.path} in time") from None
        except OSError as exc:
            raise NotRunning(f"the run closed the connection ({exc.strerror or exc})") from None
        if not data:
            raise NotRunning("the run closed the connection")
        return data

    def subscribe(self, timeout: float = CONNECT_TIMEOUT) -> tuple[int | None, str | None]:
        """Ask for live events; returns the events.jsonl offset below which history lies."""
        self.send({"type": "subscribe"})
        reply = self._expect("subscribed", timeout)
        return reply.get("offset"), reply.get("events")

    def send_command(self, command: Command, timeout: float | None = None) -> Event:
        """Submit `command` and wait for the run's answer: the event carrying its id (a
        CommandRejected when the run, or the server on its behalf, refuses it)."""
        if timeout is None:
            timeout = self._ack_timeout(command.name) + ANSWER_MARGIN
        command = dataclasses.replace(command, source=self.kind)
        self.send({"type": "command", **command.to_dict()})
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(max(0.0, deadline - time.monotonic()))
            if reply.get("id") != command.id:
                if reply["type"] == "error":
                    raise _error_for(reply)
                continue  # an event or a pong: not what we wait for
            if reply["type"] == "ack":
                return _answer_event(reply)
            if reply["type"] == "error":
                return _refusal(command, reply)

    def _ack_timeout(self, name: str) -> float:
        # The server answers `timeout` itself after this long; waiting past it is a backstop.
        timeouts = self.welcome.get("ack_timeouts")
        seconds = timeouts.get(name) if isinstance(timeouts, dict) else None
        return float(seconds) if isinstance(seconds, (int, float)) else DEFAULT_ACK_TIMEOUT

    def _expect(self, kind: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(max(0.0, deadline - time.monotonic()))
            if reply["type"] == kind:
                return reply
            if reply["type"] == "error" and "id" not in reply:
                raise _error_for(reply)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def connect_run(run_dir: Path, kind: str, *, timeout: float = CONNECT_TIMEOUT) -> ControlClient:
    """Connect to the run in `run_dir`; NotRunning names the run and its status."""
    path = socket_path(run_dir)
    try:
        return ControlClient.connect(path, kind, timeout=timeout)
    except NotRunning as exc:
        # Read the status after failing: the run may have ended just now.
        status = read_status(run_dir).get("status", "unknown")
        if status in LIVE:
            raise NotRunning(f"run {run_dir.name} is {status} but not answering: {exc}") from None
        # A killed run cannot remove its socket: whoever finds it dead does.
        remove_if_stale(path)
        raise NotRunning(f"run {run_dir.name} is not running (status: {status})") from None


def _check_owner(sock: socket.socket, path: Path) -> None:
    # Whoever owns the socket could feed us anything: talk only to our own processes.
    uid = peer_uid(sock)
    if uid is not None and uid != os.getuid():
        raise PermissionDenied(f"{path} is served by uid {uid}, not by you; not talking to it")


def _connect_error(path: Path, exc: OSError) -> ControlError:
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return NotRunning(f"nothing is listening on {path}")
    if isinstance(exc, PermissionError):
        return PermissionDenied(f"permission denied on {path}: the run belongs to another user")
    if isinstance(exc, TimeoutError):
        return NoAnswer(f"{path} did not accept the connection in time")
    return ControlError(f"cannot connect to {path}: {exc.strerror or exc}")


def _error_for(reply: dict[str, Any]) -> ControlError:
    code, text = reply.get("code"), str(reply.get("message", "error"))
    if code == protocol.FORBIDDEN:
        return PermissionDenied(text)
    if code == protocol.VERSION_MISMATCH:
        return ProtocolMismatch(text)
    if code == protocol.TIMEOUT:
        return NoAnswer(text)
    if code in _GONE:
        return NotRunning(text)
    return ControlError(f"the run refused: {text} ({code})")


def _answer_event(reply: dict[str, Any]) -> Event:
    try:
        return event_from_dict(reply["event"])
    except (KeyError, TypeError, ValueError) as exc:
        text = f"the run answered with an event this tuitrain cannot read: {exc}"
        raise ProtocolMismatch(text) from None


def _refusal(command: Command, reply: dict[str, Any]) -> Event:
    if reply.get("code") in (protocol.TIMEOUT, *_GONE):
        raise _error_for(reply)
    return CommandRejected(
        command=command.name,
        reason=str(reply.get("message", "refused")),
        source=command.source,
        cmd_id=command.id,
    )
