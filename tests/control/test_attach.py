"""AttachLink: history then live events, every one exactly once; commands; losing the run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.collector import Collector
from tests.control.conftest import RUN_NAME
from tests.control.harness import FakeRun
from tuitrain.control.attach import AttachLink, attach_link
from tuitrain.control.client import ControlClient
from tuitrain.control.connection import Limits
from tuitrain.control.errors import NotRunning
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev


def seq_of(event: ev.Event) -> int | None:
    if isinstance(event, ev.Log) and event.message.startswith("seq "):
        return int(event.message.split()[1])
    return None


def attached(run: FakeRun) -> tuple[AttachLink, Collector]:
    link = AttachLink.open(run.run_dir)
    events = Collector()
    link.start(events)
    return link, events


def test_history_then_live_with_no_gap_and_no_duplicate(runs_dir: Path) -> None:
    # The trainer emits without pause while clients subscribe, so the subscription lands
    # between events at random points; each attach must see seq 0, 1, 2, ... exactly once.
    with FakeRun(runs_dir / RUN_NAME, step_s=0.0002) as run:
        run.wait_steps(100)
        for _ in range(8):
            link, events = attached(run)
            target = run.trainer.seq + 200
            events.wait_for(lambda e, target=target: (seq_of(e) or 0) >= target)
            link.close()
            seqs = [s for s in map(seq_of, events.events) if s is not None]
            assert seqs == list(range(len(seqs)))
            assert isinstance(events.events[0], ev.Log) and events.events[0].message == "started"


def test_commands_go_with_source_attach_and_answer_through_the_stream(
    fake_run: FakeRun,
) -> None:
    link, events = attached(fake_run)
    assert (link.can_control, link.owns_run) == (True, False)
    assert link.label == f"attached to {RUN_NAME} (pid {os.getpid()})"
    pause = cmd.Pause(source="key")
    link.submit(pause)
    paused = events.wait_for(lambda e: getattr(e, "cmd_id", None) == pause.id)
    assert isinstance(paused, ev.Paused) and paused.source == "attach"
    resume = cmd.Resume()
    link.submit(resume)
    assert isinstance(
        events.wait_for(lambda e: getattr(e, "cmd_id", None) == resume.id), ev.Resumed
    )
    link.close()


def test_a_command_the_server_refuses_comes_back_as_rejected(fake_run: FakeRun) -> None:
    link, events = attached(fake_run)
    stop = cmd.Stop(status="interrupted", reason="pretending to be a signal")
    link.submit(stop)
    rejected = events.wait_for(lambda e: getattr(e, "cmd_id", None) == stop.id)
    assert isinstance(rejected, ev.CommandRejected) and rejected.command == "stop"
    assert "status 'stopped'" in rejected.reason
    fake_run.wait_steps(3)
    link.close()


def test_no_answer_in_time_becomes_a_warning(runs_dir: Path) -> None:
    with FakeRun(runs_dir / RUN_NAME, limits=Limits(slow_ack_timeout=0.2)) as run:
        link, events = attached(run)
        run.trainer.hold.set()
        link.submit(cmd.Validate())
        warned = events.wait_for(lambda e: isinstance(e, ev.Warned))
        assert warned.category == "control" and warned.message.startswith("validate: no answer")
        run.trainer.hold.clear()
        events.wait_for(lambda e: isinstance(e, ev.Validated))
        link.close()


def test_when_the_run_ends_the_link_says_so_and_stops_taking_commands(
    fake_run: FakeRun,
) -> None:
    link, events = attached(fake_run)
    with ControlClient.connect(fake_run.socket, "ctl") as client:
        assert isinstance(client.send_command(cmd.Stop()), ev.Finished)
    fake_run.stop()
    note = events.wait_for(lambda e: isinstance(e, ev.Log) and "ended" in e.message)
    assert note.message == "the run has ended; the monitor is no longer attached"
    assert not link.can_control
    late = cmd.Pause()
    link.submit(late)
    rejected = events.wait_for(lambda e: getattr(e, "cmd_id", None) == late.id)
    assert (
        isinstance(rejected, ev.CommandRejected) and rejected.reason == "not connected to the run"
    )
    link.close()


def test_losing_a_run_that_did_not_end_is_a_warning(fake_run: FakeRun) -> None:
    link, events = attached(fake_run)
    events.wait_for(lambda e: seq_of(e) is not None)
    fake_run.server.close()  # the channel goes while the run has not finished
    warned = events.wait_for(lambda e: isinstance(e, ev.Warned))
    assert warned.category == "control"
    assert warned.message.startswith("lost the connection to the run (status: running)")
    assert not link.can_control
    link.close()


def test_close_returns_at_once_and_nothing_is_emitted_after(fake_run: FakeRun) -> None:
    link, events = attached(fake_run)
    events.wait_for(lambda e: seq_of(e) is not None)
    started = time.monotonic()
    link.close()
    assert time.monotonic() - started < 0.1
    time.sleep(0.05)
    count = len(events.events)
    fake_run.wait_steps(20)
    assert len(events.events) == count
    assert not link.can_control


def test_opening_a_run_that_is_not_running_says_so(runs_dir: Path) -> None:
    run_dir = runs_dir / RUN_NAME
    run_dir.mkdir()
    (run_dir / "status.json").write_text('{"status": "completed"}')
    with pytest.raises(NotRunning, match=r"is not running \(status: completed\)"):
        AttachLink.open(run_dir)


def test_attach_without_a_name_finds_the_newest_live_run(runs_dir: Path) -> None:
    with pytest.raises(NotRunning, match=r"no run is running in .*--runs-dir"):
        attach_link(None, runs_dir)
    with FakeRun(runs_dir / "20261127-090000-old"), FakeRun(runs_dir / RUN_NAME) as newest:
        link = attach_link(None, runs_dir)
        assert link.run_dir == newest.run_dir
        link.close()
        link = attach_link("old", runs_dir)
        assert link.run_dir == runs_dir / "20261127-090000-old"
        link.close()


def test_history_lines_that_are_not_events_are_skipped_and_said_once(fake_run: FakeRun) -> None:
    first, events = attached(fake_run)
    pause = cmd.Pause()
    first.submit(pause)
    events.wait_for(lambda e: getattr(e, "cmd_id", None) == pause.id)
    time.sleep(0.05)  # the paused trainer writes nothing more: the log ends on a whole line
    with open(fake_run.run_dir / "events.jsonl", "a", encoding="utf-8") as handle:
        handle.write('null\n42\n"s"\n[1,2]\n')
    first.submit(cmd.Resume())
    fake_run.wait_steps(fake_run.trainer.step + 20)
    first.close()
    link, events = attached(fake_run)
    warning = events.wait_for(lambda e: isinstance(e, ev.Log) and "not events" in e.message)
    assert isinstance(warning, ev.Log) and warning.level == "warning"
    assert "skipped 4 lines" in warning.message
    target = fake_run.trainer.seq + 20
    events.wait_for(lambda e: (seq_of(e) or 0) >= target)
    link.close()
    seqs = [s for s in map(seq_of, events.events) if s is not None]
    assert seqs == list(range(len(seqs)))  # the whole history, around the damaged lines
    assert sum(1 for e in events.events if isinstance(e, ev.Log) and "not events" in e.message) == 1
