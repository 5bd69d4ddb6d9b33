"""The run history: what each event changes in what the panels draw."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

from tests.ui.fakes import STEPS_PER_EPOCH, epoch_end, history_events, started, step, validated
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.ui.history import RunHistory


def ingest(*events: ev.Event) -> RunHistory:
    history = RunHistory()
    for event in events:
        history.ingest(event)
    return history


def test_epoch_curves_and_step_curves() -> None:
    h = ingest(*history_events(epochs_done=3))
    assert h.status == "running" and h.epochs == 10
    assert [x for x, _ in h.train_loss.means()] == [1.0, 2.0, 3.0]
    # Validation at an epoch's end arrives twice (Validated, then EpochEnded): kept once.
    assert [x for x, _ in h.val_acc.means()] == [1.0, 2.0, 3.0]
    assert h.step_loss.total == len([e for e in history_events() if isinstance(e, ev.StepProgress)])
    assert h.fit == ("ok", epoch_end(3).train_val_gap)
    assert h.best == ("val_acc", epoch_end(3).best_value, 3)


def test_lr_changes_say_who_made_them_and_leave_markers() -> None:
    h = ingest(
        started(),
        step(60),
        ev.LRChanged(step=60, lr=0.05, previous=0.1, scale=0.5, source="key", reason="x0.5"),
    )
    assert (h.lr.value, h.lr.source, h.lr.step, h.lr.by_user) == (0.05, "key", 60, True)
    assert h.markers[-1].kind == "lr" and h.markers[-1].x == 60 / STEPS_PER_EPOCH
    h.ingest(ev.LRChanged(step=90, lr=0.025, previous=0.05, scale=0.5, source="schedule"))
    assert (h.lr.source, h.lr.by_user) == ("schedule", False)
    assert "LR 0.05 → 0.025 (schedule)" in h.log[-1].text


def test_requests_are_acknowledged_then_answered_by_cmd_id() -> None:
    h = ingest(started(), step(10))
    pause = cmd.Pause(source="key")
    h.request(pause, "pause")
    assert h.notice is not None and h.notice.text == "pause requested…"
    assert pause.id in h.pending
    h.ingest(ev.Paused(step=10, source="key", cmd_id="someone-else"))
    assert pause.id in h.pending
    h.ingest(ev.Resumed(step=10, source="key", paused_s=1.0))
    h.ingest(ev.Paused(step=10, source="key", cmd_id=pause.id))
    assert not h.pending and h.status == "paused"
    assert h.notice.text == "paused at step 10 (key)"


def test_a_rejection_names_the_request_and_the_reason() -> None:
    h = ingest(started())
    scale = cmd.ScaleLR(2.0, source="key")
    h.request(scale, "LR ×2")
    h.ingest(
        ev.CommandRejected(
            command="lr_scale",
            reason="the learning rate would become 200",
            source="key",
            cmd_id=scale.id,
        )
    )
    assert h.notice is not None and h.notice.level == "error"
    assert h.notice.text == "LR ×2 rejected: the learning rate would become 200"


def test_nan_values_from_json_are_not_plotted_but_progress_moves() -> None:
    h = ingest(started(), step(1), ev.event_from_json(step(2, loss=float("nan")).to_json()))
    assert h.progress is not None and h.progress.step == 2
    assert h.step_loss.total == 1


def test_validation_mid_epoch_is_its_own_point() -> None:
    h = ingest(started(), validated(1), epoch_end(1))
    h.ingest(
        ev.Validated(
            step=75, epoch=1.5, val_loss=0.4, val_acc=0.7, seconds=0.1, source="key", cmd_id="x"
        )
    )
    assert [x for x, _ in h.val_loss.means()] == [1.0, 1.5]


def test_finished_and_failed_end_the_run() -> None:
    h = ingest(started(), ev.Failed(error="nan", message="loss is nan", step=4))
    assert h.status == "failed" and not h.live
    assert h.log[-1].level == "error" and "loss is nan" in h.log[-1].text


def test_log_and_markers_are_bounded() -> None:
    h = RunHistory(max_log=50, max_markers=10)
    h.ingest(started())
    for n in range(1000):
        h.ingest(ev.Paused(step=n, source="ctl"))
    assert len(h.log) == 50 and len(h.markers) == 10


def test_a_million_step_reports_in_bounded_memory_and_constant_draw_cost() -> None:
    h = fed(1_000_000)
    for series in (h.step_loss, h.step_acc, h.lr.series):
        assert series.total == 1_000_000
        assert len(series) <= 2048
    assert max(c.high for c in h.step_loss.columns(400)) == 1.0  # step 1's loss survives
    assert h.progress is not None and h.progress.step == 1_000_000
    # A redraw costs what it costs once the buckets are full, however long the run: compared
    # with a history of 2,048 steps (best of 5, so a busy machine slows both alike).
    assert redraw_seconds(h) < 3 * redraw_seconds(fed(2048)) + 0.005


def fed(steps: int) -> RunHistory:
    h = RunHistory(capacity=2048)
    h.ingest(started(epochs=1))
    for event in _steps(steps):
        h.ingest(event)
    return h


def redraw_seconds(h: RunHistory) -> float:
    """What the loss, accuracy and LR plots ask of the history at 200 columns, best of 5."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for series in (h.step_loss, h.step_acc, h.lr.series):
            assert len(series.columns(400)) <= 400
        times.append(time.perf_counter() - start)
    return min(times)


def _steps(steps: int) -> Iterator[ev.StepProgress]:
    """Step reports. One event is rewritten in place for each: a million dataclass
    constructions would cost more than the history under test, and the history keeps no
    reference to a report beyond the latest."""
    event = dataclasses.replace(step(1), batches=steps, loss=1.0)
    yield event
    event = dataclasses.replace(event, loss=0.5)
    for n in range(2, steps + 1):
        object.__setattr__(event, "step", n)
        object.__setattr__(event, "batch", n)
        yield event
