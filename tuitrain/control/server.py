"""The control server: lives in the training process and lets its owner steer the run.

It serves one Unix socket from its own thread with a selector, so the trainer never waits
on a client. The trainer side is `on_event`, called for every event on the training thread;
it only appends to a queue (see feed.py). Wiring it into a run takes a few lines:

    server = ControlServer.for_run(run.path, trainer.submit, lock=trainer.bus.lock,
                                   history_offset=lambda: log.offset)
    path = server.start()            # raises ControlError when no socket can be opened
    trainer.subscribe(server.on_event)
    log.set_control(str(path))
    ...
    server.close()                   # after the trainer's last event

`lock` must be held by whoever writes an event to the run log and calls on_event with it, for
the whole of both (the trainer's EventBus holds its lock while it delivers an event): a client
that subscribes then gets every event exactly once, from the log or live.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from tuitrain.control import paths, protocol
from tuitrain.control.connection import (
    NO_SIGNAL,
    Connection,
    Limits,
    ack_timeout,
    close_quietly,
)
from tuitrain.control.feed import EventFeed
from tuitrain.control.peer import peer_uid
from tuitrain.control.requests import CLIENT_COMMANDS, RequestHandler
from tuitrain.engine.commands import Command
from tuitrain.engine.events import Event
from tuitrain.runs.files import EVENTS

log = logging.getLogger(__name__)


class ControlServer:
    def __init__(
        self,
        path: Path | None,
        submit: Callable[[Command], None],
        *,
        lock: AbstractContextManager[Any],
        history_offset: Callable[[], int] | None = None,
        run_dir: Path | None = None,
        limits: Limits | None = None,
    ) -> None:
        """Serve `path` (None: the run directory's socket, chosen at start); `submit` queues a
        command on the trainer; `history_offset` is the run log's size in complete events."""
        if path is None and run_dir is None:
            raise ValueError("a control server needs a socket path or a run directory")
        self.limits = limits or Limits()
        self._path = path
        self._run_dir = run_dir
        self._feed = EventFeed()
        self._handler = RequestHandler(
            submit,
            lock=lock,
            history_offset=history_offset,
            feed=self._feed,
            welcome=_welcome(run_dir, self.limits),
            limits=self.limits,
        )
        self._conns: dict[socket.socket, Connection] = {}
        self._selector = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._identity: tuple[int, int] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    @classmethod
    def for_run(
        cls, run_dir: Path, submit: Callable[[Command], None], **options: Any
    ) -> ControlServer:
        return cls(None, submit, run_dir=run_dir, **options)

    @property
    def path(self) -> Path | None:
        """Where the socket is (once started)."""
        return self._path

    def start(self) -> Path:
        """Bind the socket and start serving; ControlError (SocketInUse for a live one)."""
        if self._path is None:
            assert self._run_dir is not None
            self._listener, self._path = paths.bind_for_run(self._run_dir)
        else:
            self._listener = paths.bind_private(self._path)
        info = os.lstat(self._path)
        self._identity = (info.st_dev, info.st_ino)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._selector.register(self._feed.wake_reader, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._serve, name="tuitrain-control", daemon=True)
        self._thread.start()
        return self._path

    def on_event(self, event: Event) -> None:
        """Called on the training thread for every event, after the run log wrote it."""
        self._feed.put(event)

    def close(self, timeout: float = 2.0) -> None:
        """Answer what can be answered, close every connection and remove the socket."""
        if self._thread is None:
            self._feed.close()
            self._selector.close()
            return
        self._stopping = True
        self._feed.wake()
        self._thread.join(timeout)

    # The server thread ------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while not self._stopping:
                self._turn(self._wait_time())
            self._drain()
        except Exception:
            log.exception("the control channel failed; training goes on without it")
        finally:
            self._feed.closed = True
            self._remove_socket()
            self._release()

    def _wait_time(self) -> float:
        deadline = self._handler.next_deadline()
        closing = [c.closing_at for c in self._conns.values() if c.closing_at is not None]
        soonest = min([d for d in (deadline, *closing) if d is not None], default=None)
        if soonest is None:
            return 1.0
        return min(1.0, max(0.0, soonest - time.monotonic()))

    def _turn(self, timeout: float) -> None:
        for key, mask in self._selector.select(timeout):
            if key.fileobj is self._listener:
                self._accept()
            elif key.fileobj is not self._feed.wake_reader and mask & selectors.EVENT_READ:
                self._read(key.data)
        self._distribute()
        self._handler.expire(time.monotonic())
        self._tidy()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of file descriptors, say: refuse this one, go on
                log.warning("control: accept failed: %s", exc)
                return
            refusal = self._refusal(sock)
            if refusal is not None:
                _refuse(sock, *refusal)
                continue
            sock.setblocking(False)
            conn = Connection(sock, self.limits)
            self._conns[sock] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)

    def _refusal(self, sock: socket.socket) -> tuple[str, str] | None:
        try:
            uid = peer_uid(sock)
        except OSError as exc:
            return protocol.FORBIDDEN, f"cannot tell who is connecting: {exc}"
        if uid is not None and uid != os.getuid():
            text = f"this run belongs to uid {os.getuid()}; uid {uid} may not watch or control it"
            return protocol.FORBIDDEN, text
        if len(self._conns) >= self.limits.max_clients:
            return protocol.BUSY, f"this run already has {self.limits.max_clients} clients"
        return None

    def _read(self, conn: Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            # The client hung up. Its commands were submitted and still apply; only their
            # answers have nobody to go to.
            self._handler.forget(conn)
            conn.finish()
            self._selector.modify(conn.sock, selectors.EVENT_WRITE, conn)
            return
        if conn.closing_at is not None:
            return  # being shown the door: what it says no longer matters
        for line in conn.lines.feed(data):
            self._handler.handle(conn, line)

    def _distribute(self) -> None:
        batch = self._feed.take()
        if self._feed.overflowed:
            self._feed.overflowed = False
            for conn in self._conns.values():
                if conn.subscribed:
                    conn.fail(protocol.SLOW_CLIENT, "the control channel missed events; reattach")
        for seq, event in batch:
            try:
                self._fan_out(seq, event)
                self._handler.answer(event)
            except Exception:
                log.exception("control: could not pass on a %s event", event.type)

    def _fan_out(self, seq: int, event: Event) -> None:
        line: bytes | None = None
        for conn in self._conns.values():
            if conn.live_from is not None and seq >= conn.live_from:
                line = line or _event_line(event)
                conn.send_event(line, event.droppable)

    def _tidy(self) -> None:
        now = time.monotonic()
        for conn in list(self._conns.values()):
            try:
                conn.flush()
            except OSError:
                self._drop(conn)
                continue
            if conn.done(now):
                self._drop(conn)
                continue
            mask = selectors.EVENT_WRITE if conn.wants_write else 0
            mask |= selectors.EVENT_READ if conn.closing_at is None else 0
            mask = mask or selectors.EVENT_WRITE  # still registered; closes at closing_at
            if self._selector.get_key(conn.sock).events != mask:
                self._selector.modify(conn.sock, mask, conn)

    def _drop(self, conn: Connection) -> None:
        self._handler.forget(conn)
        self._selector.unregister(conn.sock)
        del self._conns[conn.sock]
        conn.close()
        # With nobody watching, step reports need not even be queued.
        self._feed.listening = any(c.subscribed for c in self._conns.values())

    def _drain(self) -> None:
        """Last words: events not yet sent, answers to pending commands, then goodbye."""
        self._remove_socket()
        self._distribute()
        self._handler.shutdown()
        for conn in self._conns.values():
            conn.finish()
        deadline = time.monotonic() + self.limits.close_grace
        while self._conns and time.monotonic() < deadline:
            self._turn(min(0.05, max(0.0, deadline - time.monotonic())))

    def _remove_socket(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._selector.unregister(listener)
        listener.close()
        # Only our own socket: after a takeover the path may name someone else's.
        try:
            path = self._path
            info = os.lstat(path) if path else None
            if path and info is not None and (info.st_dev, info.st_ino) == self._identity:
                os.unlink(path)
        except OSError:
            pass

    def _release(self) -> None:
        for conn in list(self._conns.values()):
            conn.close()
        self._conns.clear()
        self._feed.close()
        self._selector.close()


def _welcome(run_dir: Path | None, limits: Limits) -> dict[str, Any]:
    # Absolute paths: the client's working directory is not the run's.
    where = run_dir.absolute() if run_dir else None
    return {
        "version": protocol.VERSION,
        "pid": os.getpid(),
        "run": where.name if where else None,
        "run_dir": str(where) if where else None,
        "events": str(where / EVENTS) if where else None,
        "ack_timeouts": {name: ack_timeout(limits, name) for name in sorted(CLIENT_COMMANDS)},
    }


def _event_line(event: Event) -> bytes:
    line = protocol.encode({"type": "event", "event": event.to_dict()})
    if len(line) <= protocol.MAX_REPLY:
        return line
    text = f"a {event.type} event was too long to send; the run's events.jsonl holds it"
    return protocol.encode(protocol.error(protocol.TOO_LONG, text))


def _refuse(sock: socket.socket, code: str, message: str) -> None:
    with contextlib.suppress(OSError):
        sock.setblocking(False)
        sock.send(protocol.encode(protocol.error(code, message)), NO_SIGNAL)
    close_quietly(sock)
