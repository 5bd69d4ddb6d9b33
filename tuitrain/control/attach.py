"""AttachLink: the monitor's RunLink to a run in another process, through its control socket.

History comes from the run's events.jsonl up to the offset the server gives at subscription,
then live events follow from the socket: together, every event once, in order. Two daemon
threads do the work (one reads, one sends), so `start`, `submit` and `close` never block the
monitor. Only opening the link blocks (for at most a few seconds): do it before the UI starts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain.control import protocol
from tuitrain.control.client import CONNECT_TIMEOUT, ControlClient, connect_run
from tuitrain.control.errors import ControlError, NotRunning
from tuitrain.engine.commands import Command
from tuitrain.engine.events import (
    TERMINAL_TYPES,
    CommandRejected,
    Event,
    Log,
    Warned,
    event_from_dict,
)
from tuitrain.runs.files import EVENTS
from tuitrain.runs.reader import DamagedLines, read_events
from tuitrain.runs.resolve import newest_live_run, resolve_run, where
from tuitrain.runs.status import LIVE, read_status

log = logging.getLogger(__name__)

HISTORY_CHUNK = 1 << 20
"""Bytes of events.jsonl read at a time while replaying history."""


class AttachLink:
    owns_run = False

    def __init__(self, client: ControlClient, run_dir: Path | None = None) -> None:
        self._client = client
        self.run_dir = run_dir
        name = run_dir.name if run_dir else client.welcome.get("run") or str(client.path)
        self.label = f"attached to {name} (pid {client.welcome.get('pid')})"
        self.can_control = True
        self._emit: Callable[[Event], None] = lambda event: None
        self._outbox: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._sent: dict[str, Command] = {}
        self._closed = threading.Event()
        self._ended = False
        self._reader: threading.Thread | None = None

    @classmethod
    def open(cls, run_dir: Path, *, timeout: float = CONNECT_TIMEOUT) -> AttachLink:
        """Connect to the run in `run_dir`; ControlError (NotRunning, ...) says why not."""
        return cls(connect_run(run_dir, "attach", timeout=timeout), run_dir)

    def start(self, emit: Callable[[Event], None]) -> None:
        self._emit = emit
        self._client.sock.settimeout(None)  # the threads wait as long as the run lives
        self._reader = threading.Thread(
            target=self._read_loop, name="tuitrain-attach-read", daemon=True
        )
        self._reader.start()
        threading.Thread(target=self._write_loop, name="tuitrain-attach-send", daemon=True).start()

    def submit(self, command: Command) -> None:
        if not self._closed.is_set():
            self._outbox.put(dataclasses.replace(command, source="attach"))

    def close(self) -> None:
        """Detach: the run goes on. Returns at once; the threads finish on their own."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.can_control = False
        with contextlib.suppress(OSError):
            self._client.sock.shutdown(socket.SHUT_RDWR)
        if self._reader is None:
            self._client.close()
        else:
            self._outbox.put(None)

    # Sending ----------------------------------------------------------------------------

    def _write_loop(self) -> None:
        self._send({"type": "subscribe"})
        while True:
            command = self._outbox.get()
            if command is None:
                break
            self._sent[command.id] = command
            if not self.can_control or not self._send({"type": "command", **command.to_dict()}):
                self._sent.pop(command.id, None)
                self._deliver(_rejected(command, "not connected to the run"))
        # Close only once the reader is done with the socket, so its descriptor is not reused
        # under it.
        if self._reader is not None:
            self._reader.join(timeout=5.0)
        self._client.close()

    def _send(self, message: dict[str, Any]) -> bool:
        try:
            self._client.send(message)
        except ControlError:
            return False
        return True

    # Receiving --------------------------------------------------------------------------

    def _read_loop(self) -> None:
        try:
            while not self._closed.is_set():
                self._handle(self._client.receive())
        except ControlError as exc:
            self._lost(exc)
        finally:
            self.can_control = False

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "subscribed":
            self._replay(message.get("offset"), message.get("events"))
        elif kind == "event":
            self._live(message.get("event"))
        elif kind == "error":
            self._on_error(message)
        elif kind == "ack":
            # The answering event itself comes (or came) through the event stream.
            self._sent.pop(str(message.get("id")), None)

    def _replay(self, offset: Any, events: Any) -> None:
        if self.run_dir is not None:
            path = self.run_dir / EVENTS  # our own view of it: the run's cwd is not ours
        elif isinstance(events, str):
            path = Path(events)
        else:
            return
        if not isinstance(offset, int):
            return
        start, chunk = 0, HISTORY_CHUNK
        damaged = DamagedLines()
        while start < offset and not self._closed.is_set():
            history, end = read_events(path, start, min(offset, start + chunk), damaged=damaged)
            if end == start:
                if start + chunk >= offset:
                    break  # only a torn line (or a shorter file) is left: skip it
                chunk *= 2  # one line longer than a chunk
                continue
            for event in history:
                self._deliver(event)
            start = end
        warning = damaged.warning(path)
        if warning is not None:
            self._deliver(warning)

    def _live(self, data: Any) -> None:
        try:
            event = event_from_dict(data)
        except (TypeError, ValueError):
            return  # a kind of event this version does not know
        self._deliver(event)

    def _on_error(self, message: dict[str, Any]) -> None:
        text = str(message.get("message", "error"))
        command = self._sent.pop(str(message.get("id")), None)
        if command is None:
            self._deliver(Warned(category="control", message=f"control channel: {text}"))
        elif message.get("code") == protocol.TIMEOUT:
            self._deliver(Warned(category="control", message=f"{command.name}: {text}"))
        else:
            self._deliver(_rejected(command, text))

    def _lost(self, exc: ControlError) -> None:
        self.can_control = False
        if self._closed.is_set():
            return
        if self._ended:
            self._deliver(Log(message="the run has ended; the monitor is no longer attached"))
            return
        status = _settled_status(self.run_dir) if self.run_dir else "unknown"
        message = f"lost the connection to the run (status: {status}): {exc}"
        self._deliver(Warned(category="control", message=message))

    def _deliver(self, event: Event) -> None:
        if event.type in TERMINAL_TYPES:
            self._ended = True
        if self._closed.is_set():
            return
        try:
            self._emit(event)
        except Exception:
            # The monitor is going away under us: stop feeding it, quietly.
            log.debug("attach: emit failed; detaching", exc_info=True)
            self.close()


def attach_link(run: str | None, runs_dir: Path) -> AttachLink:
    """The link for `tuitrain attach [RUN]`: the run named (see resolve_run), or the newest
    live one in `runs_dir`. ControlError subclasses say why not, with an exit code."""
    if run is None:
        run_dir = newest_live_run(runs_dir)
        if run_dir is None:
            raise NotRunning(
                f"no run is running in {where(runs_dir)}; "
                "tuitrain runs lists the runs there, tuitrain view shows the newest"
            )
    else:
        run_dir = resolve_run(run, runs_dir)
    try:
        return AttachLink.open(run_dir)
    except NotRunning as exc:
        if read_status(run_dir).get("status") in LIVE:
            raise
        raise NotRunning(f"{exc}; to look at it: tuitrain view {run_dir.name}") from None


def _settled_status(run_dir: Path, wait_s: float = 1.0) -> str:
    """The run's status once its end has had a moment to show: a killed process's socket
    closes before the process is gone (and reaped), and until then it still looks alive."""
    deadline = time.monotonic() + wait_s
    while True:
        status = str(read_status(run_dir).get("status", "unknown"))
        if status not in LIVE or time.monotonic() >= deadline:
            return status
        time.sleep(0.05)


def _rejected(command: Command, reason: str) -> CommandRejected:
    return CommandRejected(
        command=command.name, reason=reason, source=command.source, cmd_id=command.id
    )
