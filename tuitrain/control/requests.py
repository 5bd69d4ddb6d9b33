"""What the server does with each request, and how it answers commands from the event stream.

Runs on the server thread only. A command is validated, given the source the client said it
was at hello ('ctl' or 'attach'; a client never chooses 'key' or 'signal'), submitted to the
trainer, and answered when the engine's event carrying its id comes by (`ack`), or with a
`timeout` error when none comes in time. Nothing a client sends reaches the trainer without
passing `command_from_dict`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tuitrain.control import protocol
from tuitrain.control.connection import Connection, Limits, ack_timeout
from tuitrain.control.feed import EventFeed
from tuitrain.control.protocol import ProtocolError
from tuitrain.engine.commands import Command, Stop, command_from_dict
from tuitrain.engine.events import TERMINAL_TYPES, CommandRejected, Event, Failed, Finished

log = logging.getLogger(__name__)

CLIENT_COMMANDS = frozenset({"pause", "resume", "lr_scale", "lr", "checkpoint", "validate", "stop"})
"""save_on_signal is left to signals: its checkpoint says a signal asked for it."""
MAX_ARG_TEXT = 200


@dataclass
class Pending:
    conn: Connection
    name: str
    deadline: float


class RequestHandler:
    def __init__(
        self,
        submit: Callable[[Command], None],
        *,
        lock: AbstractContextManager[Any],
        history_offset: Callable[[], int] | None,
        feed: EventFeed,
        welcome: dict[str, Any],
        limits: Limits,
    ) -> None:
        self.submit = submit
        self.lock = lock
        self.history_offset = history_offset
        self.feed = feed
        self.welcome = welcome
        self.limits = limits
        self.pending: dict[str, Pending] = {}
        self.ended: str | None = None
        """The run's final status once its last event has passed."""

    # Requests ---------------------------------------------------------------------------

    def handle(self, conn: Connection, line: bytes | None) -> None:
        """Answer one line from a client; a bad one gets an error reply, nothing more."""
        if not conn.rate.allow():
            conn.send(protocol.error(protocol.RATE_LIMITED, "too many messages; slow down"))
            return
        if line is None:
            limit = protocol.MAX_REQUEST
            conn.send(protocol.error(protocol.TOO_LONG, f"line longer than {limit} bytes"))
            return
        message: dict[str, Any] = {}
        try:
            message = protocol.decode(line)
            self._dispatch(conn, message)
        except ProtocolError as exc:
            conn.send(protocol.error(exc.code, exc.message, message.get("id")))
        except Exception as exc:
            # A fault of ours (history_offset failing, say) must cost one reply, not the server.
            log.exception("control: a %s request failed", message.get("type"))
            text = f"the run could not handle this: {type(exc).__name__}: {exc}"
            conn.send(protocol.error(protocol.INTERNAL, text, message.get("id")))

    def _dispatch(self, conn: Connection, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "hello":
            self._hello(conn, message)
            return
        handlers = {"subscribe": self._subscribe, "command": self._command, "ping": self._ping}
        handler = handlers.get(kind)
        if handler is None:
            known = ", ".join(["hello", *handlers])
            raise ProtocolError(protocol.UNKNOWN_TYPE, f"unknown type {kind!r}; known: {known}")
        if conn.kind is None:
            raise ProtocolError(protocol.OUT_OF_ORDER, "say hello first")
        handler(conn, message)

    def _hello(self, conn: Connection, message: dict[str, Any]) -> None:
        if conn.kind is not None:
            raise ProtocolError(protocol.OUT_OF_ORDER, "hello was already said")
        version = message.get("version")
        if type(version) is not int or version != protocol.VERSION:
            reply = protocol.error(
                protocol.VERSION_MISMATCH,
                f"this run speaks control protocol version {protocol.VERSION}, not {version!r}",
            )
            conn.finish({**reply, "version": protocol.VERSION})
            return
        client = message.get("client")
        if client not in protocol.CLIENT_KINDS:
            kinds = " or ".join(repr(k) for k in protocol.CLIENT_KINDS)
            raise ProtocolError(protocol.BAD_REQUEST, f"'client' must be {kinds}")
        conn.kind = client
        conn.send({**self.welcome, "type": "welcome", "ended": self.ended})

    def _subscribe(self, conn: Connection, message: dict[str, Any]) -> None:
        if conn.subscribed:
            raise ProtocolError(protocol.OUT_OF_ORDER, "already subscribed")
        # Under the lock the trainer holds while an event is logged and handed to on_event,
        # every event is either in the log below `offset` or numbered >= live_from: never both,
        # never neither.
        with self.lock:
            offset = self.history_offset() if self.history_offset is not None else None
            conn.live_from = self.feed.next_seq()
            self.feed.listening = True
        conn.send({"type": "subscribed", "offset": offset, "events": self.welcome.get("events")})

    def _ping(self, conn: Connection, message: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"type": "pong"}
        if isinstance(message.get("id"), str):
            reply["id"] = message["id"]
        conn.send(reply)

    def _command(self, conn: Connection, message: dict[str, Any]) -> None:
        command = self._validate(conn, message)
        if self.ended is not None:
            raise ProtocolError(protocol.ENDED, f"the run has ended ({self.ended})")
        if command.id in self.pending:
            raise ProtocolError(protocol.DUPLICATE_ID, f"command {command.id} is still pending")
        timeout = ack_timeout(self.limits, command.name)
        self.pending[command.id] = Pending(conn, command.name, time.monotonic() + timeout)
        try:
            self.submit(command)
        except Exception as exc:
            del self.pending[command.id]
            raise ProtocolError(protocol.BAD_COMMAND, f"the run did not take it: {exc}") from None

    def _validate(self, conn: Connection, message: dict[str, Any]) -> Command:
        wire = {key: value for key, value in message.items() if key != "type"}
        source = wire.get("source")
        if source is not None and source != conn.kind:
            raise ProtocolError(
                protocol.BAD_SOURCE,
                f"commands from this connection have source {conn.kind!r}, not {source!r}",
            )
        wire["source"] = conn.kind
        _check_args(wire.get("args"))
        try:
            command = command_from_dict(wire)
        except ValueError as exc:
            raise ProtocolError(protocol.BAD_COMMAND, str(exc)) from None
        if command.name not in CLIENT_COMMANDS:
            raise ProtocolError(protocol.BAD_COMMAND, f"{command.name} is not sent by clients")
        if isinstance(command, Stop) and command.status != "stopped":
            raise ProtocolError(protocol.BAD_COMMAND, "a client's stop has status 'stopped'")
        return command

    # Answers ----------------------------------------------------------------------------

    def answer(self, event: Event) -> None:
        """Reply to the command this event answers, if one of our clients sent it."""
        cmd_id = getattr(event, "cmd_id", None)
        pending = self.pending.pop(cmd_id, None) if isinstance(cmd_id, str) else None
        if pending is not None and not pending.conn.closed:
            reply: dict[str, Any] = {"type": "ack", "id": cmd_id, "event": event.to_dict()}
            reply["ok"] = not isinstance(event, CommandRejected)
            if isinstance(event, CommandRejected):
                reply["reason"] = event.reason
            pending.conn.send(reply)
        if event.type in TERMINAL_TYPES:
            self._end(event)

    def _end(self, event: Event) -> None:
        self.ended = event.status if isinstance(event, Finished) else "failed"
        detail = f": {event.message}" if isinstance(event, Failed) else ""
        for cmd_id, pending in list(self.pending.items()):
            text = f"the run ended ({self.ended}{detail}) before applying {pending.name}"
            pending.conn.send(protocol.error(protocol.ENDED, text, cmd_id))
        self.pending.clear()

    def expire(self, now: float) -> None:
        for cmd_id, pending in list(self.pending.items()):
            if now >= pending.deadline:
                del self.pending[cmd_id]
                seconds = ack_timeout(self.limits, pending.name)
                text = (
                    f"no answer within {seconds:g} s; the run is busy (starting, validating or "
                    f"saving); {pending.name} is queued or under way and still applies"
                )
                pending.conn.send(protocol.error(protocol.TIMEOUT, text, cmd_id))

    def next_deadline(self) -> float | None:
        return min((p.deadline for p in self.pending.values()), default=None)

    def shutdown(self) -> None:
        for cmd_id, pending in self.pending.items():
            text = f"the run closed its control channel before applying {pending.name}"
            pending.conn.send(protocol.error(protocol.SHUTDOWN, text, cmd_id))
        self.pending.clear()

    def forget(self, conn: Connection) -> None:
        """A client left: its commands still apply, but nobody waits for their answers."""
        for cmd_id in [k for k, p in self.pending.items() if p.conn is conn]:
            del self.pending[cmd_id]


def _check_args(args: Any) -> None:
    # Commands take numbers and short words; anything bulkier is not a command of ours.
    if not isinstance(args, dict):
        return  # command_from_dict says what is wrong with it
    for key, value in args.items():
        if isinstance(value, str) and len(value) <= MAX_ARG_TEXT:
            continue
        if value is None or isinstance(value, (bool, int, float)):
            continue
        raise ProtocolError(protocol.BAD_COMMAND, f"argument {key!r} must be a number or a word")
