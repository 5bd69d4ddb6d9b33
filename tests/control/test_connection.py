"""A connection's queue when its client falls behind: step reports coalesce, the rest stays."""

from __future__ import annotations

import json
import socket

from tuitrain.control.connection import Connection, Limits


def line(kind: str, n: int) -> bytes:
    return json.dumps({"type": "event", "event": {"type": kind, "n": n}}).encode() + b"\n"


def test_behind_a_full_socket_only_the_newest_step_report_waits() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours.setblocking(False)
    conn = Connection(ours, Limits(coalesce_at=1, max_queued=10**9))
    conn.send_event(line("log", 0), droppable=False)  # queued beyond coalesce_at from here
    for n in range(1, 1001):
        conn.send_event(line("step", n), droppable=True)
    conn.send_event(line("epoch", 1), droppable=False)
    conn.send_event(line("step", 1001), droppable=True)
    conn.send_event(line("step", 1002), droppable=True)
    assert conn.coalesced == 999 + 1
    conn.flush()
    ours.close()
    received = b""
    while chunk := theirs.recv(65536):
        received += chunk
    events = [json.loads(raw)["event"] for raw in received.splitlines()]
    assert [(e["type"], e["n"]) for e in events] == [
        ("log", 0),
        ("step", 1000),
        ("epoch", 1),
        ("step", 1002),
    ]


def test_a_client_far_behind_is_sent_a_last_error_and_closed() -> None:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ours.setblocking(False)
    conn = Connection(ours, Limits(max_queued=4096))
    for n in range(200):
        conn.send_event(line("log", n), droppable=False)
    assert conn.closing_at is not None
    conn.send_event(line("log", 999), droppable=False)  # nothing more after the last word
    conn.flush()
    assert conn.done(0.0)
    conn.close()
    received = b""
    while chunk := theirs.recv(65536):
        received += chunk
    last = json.loads(received.splitlines()[-1])
    assert last["code"] == "slow_client"
