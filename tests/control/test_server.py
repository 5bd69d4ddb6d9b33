"""The server's side of the conversation: bad clients are answered, training is never touched."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.control.conftest import RUN_NAME
from tests.control.harness import FakeRun, wait_until
from tests.control.raw import RawClient
from tuitrain.control.client import ControlClient
from tuitrain.control.connection import Limits
from tuitrain.control.server import ControlServer
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev

COMMAND = {"type": "command"}

BAD_AFTER_HELLO: list[tuple[str, bytes | dict[str, Any], str]] = [
    ("malformed JSON", b'{"type": "ping"\n', "bad_json"),
    ("oversized line", b'{"type":"ping","pad":"' + b"x" * 70_000 + b'"}\n', "too_long"),
    ("not an object", b"[1, 2, 3]\n", "bad_request"),
    ("unknown type", {"type": "teleport"}, "unknown_type"),
    ("unknown command", {**COMMAND, "command": "explode"}, "bad_command"),
    ("NaN factor", b'{"type":"command","command":"lr_scale","args":{"factor":NaN}}\n', "bad_json"),
    (
        "infinite factor",
        b'{"type":"command","command":"lr_scale","args":{"factor":1e999}}\n',
        "bad_command",
    ),
    (
        "factor as text",
        {**COMMAND, "command": "lr_scale", "args": {"factor": "0.5"}},
        "bad_command",
    ),
    ("negative LR", {**COMMAND, "command": "lr", "args": {"value": -0.1}}, "bad_command"),
    ("unknown argument", {**COMMAND, "command": "pause", "args": {"now": True}}, "bad_command"),
    ("claims a key press", {**COMMAND, "command": "pause", "source": "key"}, "bad_source"),
    ("claims a signal", {**COMMAND, "command": "stop", "source": "signal"}, "bad_source"),
    ("signal-only command", {**COMMAND, "command": "save_on_signal"}, "bad_command"),
    (
        "interrupts",
        {**COMMAND, "command": "stop", "args": {"status": "interrupted"}},
        "bad_command",
    ),
    ("bulky argument", {**COMMAND, "command": "stop", "args": {"reason": [1] * 50}}, "bad_command"),
    ("second hello", {"type": "hello", "version": 1, "client": "ctl"}, "out_of_order"),
]


@pytest.mark.parametrize(
    ("message", "code"), [case[1:] for case in BAD_AFTER_HELLO], ids=[c[0] for c in BAD_AFTER_HELLO]
)
def test_bad_messages_get_an_error_and_change_nothing(
    fake_run: FakeRun, message: bytes | dict[str, Any], code: str
) -> None:
    client = RawClient(fake_run.socket)
    client.hello()
    client.send(message)
    assert client.expect("error")["code"] == code
    # The same connection still works, and the trainer neither stalled nor received anything.
    client.send({"type": "ping", "id": "p1"})
    assert client.expect("pong") == {"type": "pong", "id": "p1"}
    fake_run.wait_steps(3)
    assert fake_run.trainer.applied == []
    client.close()


@pytest.mark.parametrize(
    "message",
    [{**COMMAND, "command": "pause"}, {"type": "subscribe"}, {"type": "ping"}],
    ids=["command", "subscribe", "ping"],
)
def test_nothing_before_hello(fake_run: FakeRun, message: dict[str, Any]) -> None:
    client = RawClient(fake_run.socket)
    client.send(message)
    assert client.expect("error") == {
        "type": "error",
        "code": "out_of_order",
        "message": "say hello first",
    }
    assert client.hello()["version"] == 1
    fake_run.wait_steps(3)
    assert fake_run.trainer.applied == []


def test_hello_must_name_a_client_we_know_and_our_version(fake_run: FakeRun) -> None:
    client = RawClient(fake_run.socket)
    client.send({"type": "hello", "version": 1, "client": "key"})
    assert client.expect("error")["code"] == "bad_request"
    client.send({"type": "hello", "version": 2, "client": "ctl"})
    reply = client.expect("error")
    assert reply["code"] == "version" and reply["version"] == 1
    assert client.closed_by_server()


def test_welcome_describes_the_run(fake_run: FakeRun) -> None:
    welcome = RawClient(fake_run.socket).hello()
    assert welcome["pid"] == os.getpid()
    assert welcome["run"] == RUN_NAME
    assert welcome["run_dir"] == str(fake_run.run_dir.absolute())
    assert welcome["events"] == str(fake_run.run_dir.absolute() / "events.jsonl")
    assert welcome["ended"] is None
    assert welcome["ack_timeouts"]["pause"] == 10.0
    assert welcome["ack_timeouts"]["validate"] == 300.0


def test_two_clients_at_once_each_get_their_own_answer(fake_run: FakeRun) -> None:
    watcher = RawClient(fake_run.socket)
    watcher.hello("attach")
    watcher.send({"type": "subscribe"})
    watcher.expect("subscribed")
    commands = [cmd.Validate(), cmd.ScaleLR(factor=0.5), cmd.Checkpoint(), cmd.SetLR(value=0.3)]
    answers: dict[str, ev.Event] = {}

    def send(command: cmd.Command) -> None:
        with ControlClient.connect(fake_run.socket, "ctl") as client:
            answers[command.id] = client.send_command(command)

    threads = [threading.Thread(target=send, args=(command,)) for command in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert {answers[c.id].cmd_id for c in commands} == {c.id for c in commands}
    kinds = sorted(type(a).__name__ for a in answers.values())
    assert kinds == ["CheckpointSaved", "LRChanged", "LRChanged", "Validated"]
    seen: set[str] = set()
    while len(seen) < len(commands):
        event = watcher.read()["event"]
        if event.get("cmd_id"):
            assert event["source"] == "ctl"
            seen.add(event["cmd_id"])
    assert seen == {c.id for c in commands}


def test_a_client_that_vanishes_mid_command_harms_nothing(fake_run: FakeRun) -> None:
    for _ in range(5):
        client = RawClient(fake_run.socket)
        client.hello()
        client.send({**COMMAND, "command": "validate"})
        client.close()
    gone = RawClient(fake_run.socket)
    gone.hello("attach")
    gone.send({"type": "subscribe"})
    gone.close()  # with events on their way to it
    fake_run.wait_steps(20)
    with ControlClient.connect(fake_run.socket, "ctl") as client:
        assert isinstance(client.send_command(cmd.ScaleLR(factor=0.5)), ev.LRChanged)
    assert [c.name for c in fake_run.trainer.applied] == ["validate"] * 5 + ["lr_scale"]


def test_no_answer_in_time_is_a_timeout_but_the_command_still_applies(runs_dir: Path) -> None:
    with FakeRun(runs_dir / RUN_NAME, limits=Limits(slow_ack_timeout=0.3)) as run:
        run.trainer.hold.set()
        client = RawClient(run.socket)
        client.hello()
        client.send({**COMMAND, "command": "validate", "id": "v1"})
        reply = client.expect("error")
        assert (reply["code"], reply["id"]) == ("timeout", "v1")
        assert "queued or under way and still applies" in reply["message"]
        run.trainer.hold.clear()
        run.wait_steps(3)
        assert [c.id for c in run.trainer.applied] == ["v1"]


def test_commands_pending_or_sent_when_the_run_ends_are_answered(fake_run: FakeRun) -> None:
    client = RawClient(fake_run.socket)
    client.hello()
    fake_run.trainer.hold.set()
    fake_run.trainer.submit(cmd.Stop(source="api"))
    client.send({**COMMAND, "command": "validate", "id": "late"})
    wait_until(lambda: len(fake_run.trainer.submitted) == 2)  # taken before the run ends
    fake_run.trainer.hold.clear()
    reply = client.expect("error")
    assert (reply["code"], reply["id"]) == ("ended", "late")
    assert "the run ended (stopped) before applying validate" in reply["message"]
    client.send({**COMMAND, "command": "pause", "id": "after"})
    assert client.expect("error")["code"] == "ended"


def test_duplicate_pending_ids_are_refused(fake_run: FakeRun) -> None:
    fake_run.trainer.hold.set()
    client = RawClient(fake_run.socket)
    client.hello()
    client.send({**COMMAND, "command": "validate", "id": "same"})
    client.send({**COMMAND, "command": "checkpoint", "id": "same"})
    assert client.expect("error")["code"] == "duplicate_id"
    fake_run.trainer.hold.clear()
    assert client.expect("ack")["event"]["type"] == "validated"


def test_a_client_that_does_not_read_is_cut_off_and_training_goes_on(runs_dir: Path) -> None:
    limits = Limits(coalesce_at=4096, max_queued=32 * 1024, close_grace=5.0)
    with FakeRun(runs_dir / RUN_NAME, limits=limits, step_s=0.0005) as run:
        sleeper = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sleeper.connect(str(run.socket))
        sleeper.sendall(b'{"type":"hello","version":1,"client":"attach"}\n{"type":"subscribe"}\n')
        deadline = time.monotonic() + 15
        while not _being_cut_off(run):
            assert time.monotonic() < deadline, "a client that never reads was never cut off"
            run.wait_steps(10)
        # It wakes up now, and finds the server's last word at the end of its stream.
        sleeper.settimeout(5)
        received = b""
        while chunk := sleeper.recv(1 << 16):
            received += chunk
        last = json.loads(received.splitlines()[-1])
        assert last["code"] == "slow_client" and "fell too far behind" in last["message"]
        run.wait_steps(20)
        with ControlClient.connect(run.socket, "ctl") as client:
            assert isinstance(client.send_command(cmd.Validate()), ev.Validated)


def _being_cut_off(run: FakeRun) -> bool:
    # The server's own view, read only to time the sleeper's waking: all assertions are on
    # what reaches the client.
    return any(conn.closing_at is not None for conn in list(run.server._conns.values()))


def test_too_many_clients_are_turned_away(runs_dir: Path) -> None:
    with FakeRun(runs_dir / RUN_NAME, limits=Limits(max_clients=2)) as run:
        first, second = RawClient(run.socket), RawClient(run.socket)
        first.hello()
        second.hello()
        third = RawClient(run.socket)
        assert third.read()["code"] == "busy"
        assert third.closed_by_server()
        first.close()
        wait_until(lambda: _welcomed(run.socket))


def _welcomed(path: Path) -> bool:
    client = RawClient(path)
    client.send({"type": "hello", "version": 1, "client": "ctl"})
    reply = client.read()
    client.close()
    return reply["type"] == "welcome"


def test_a_flood_is_rate_limited(runs_dir: Path) -> None:
    with FakeRun(runs_dir / RUN_NAME, limits=Limits(rate=1.0, burst=20)) as run:
        client = RawClient(run.socket)
        client.hello()
        client.send(b'{"type":"ping"}\n' * 50)
        replies = [client.read()["type"] for _ in range(50)]
        assert replies.count("pong") == 19  # hello took one token of the burst
        assert replies.count("error") == 31
        run.wait_steps(3)


def test_closing_the_server_answers_pending_commands_and_removes_the_socket(
    fake_run: FakeRun,
) -> None:
    fake_run.trainer.hold.set()
    client = RawClient(fake_run.socket)
    client.hello()
    client.send({**COMMAND, "command": "validate", "id": "v"})
    wait_until(lambda: fake_run.trainer.submitted)
    fake_run.server.close()
    reply = client.expect("error")
    assert (reply["code"], reply["id"]) == ("shutdown", "v")
    assert client.closed_by_server()
    assert not fake_run.socket.exists()
    fake_run.trainer.hold.clear()


def test_a_fault_in_the_run_costs_one_reply_not_the_server(short_tmp: Path) -> None:
    def broken_offset() -> int:
        raise OSError("events.jsonl is gone")

    submitted: list[cmd.Command] = []
    server = ControlServer(
        short_tmp / "c.sock", submitted.append, lock=threading.RLock(), history_offset=broken_offset
    )
    server.start()
    try:
        client = RawClient(short_tmp / "c.sock")
        client.hello()
        client.send({"type": "subscribe"})
        reply = client.expect("error")
        assert reply["code"] == "internal" and "events.jsonl is gone" in reply["message"]
        client.send({**COMMAND, "command": "pause", "id": "p"})
        wait_until(lambda: [c.id for c in submitted] == ["p"])
        server.on_event(ev.Paused(step=1, source="ctl", cmd_id="p"))
        assert client.expect("ack")["event"]["type"] == "paused"
    finally:
        server.close()
