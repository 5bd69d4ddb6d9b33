"""The hand-over from the trainer's thread: never blocks, never loses what matters."""

from __future__ import annotations

import threading

from tests.ui.fakes import epoch_end, step
from tuitrain.engine import events as ev
from tuitrain.ui.inbox import Inbox


def test_wakes_once_until_drained() -> None:
    wakes: list[int] = []
    inbox = Inbox(lambda: wakes.append(1))
    for n in range(1, 50):
        inbox.put(step(n))
    assert len(wakes) == 1
    assert [e.step for e in inbox.drain()] == list(range(1, 50))  # type: ignore[attr-defined]
    inbox.put(step(50))
    assert len(wakes) == 2


def test_drops_only_the_oldest_step_reports_when_the_ui_falls_behind() -> None:
    inbox = Inbox(lambda: None, max_droppable=10)
    kept = [
        ev.LRChanged(step=5, lr=0.05, previous=0.1, scale=0.5, source="key"),
        epoch_end(1),
        ev.Warned(category="overfitting", message="val loss rising"),
        ev.CheckpointSaved(step=9, epoch=1, path="x", reason="user", seconds=0.1),
        ev.Paused(step=9, source="key"),
        ev.Failed(error="nan", message="loss is nan"),
    ]
    for n in range(1, 1001):
        inbox.put(step(n))
        if n % 150 == 0:
            inbox.put(kept[n // 150 - 1])
    drained = inbox.drain()
    steps = [e.step for e in drained if isinstance(e, ev.StepProgress)]
    assert steps == list(range(991, 1001))
    assert [e for e in drained if not isinstance(e, ev.StepProgress)] == kept
    assert inbox.dropped == 990


def test_puts_from_many_threads_lose_nothing_that_matters() -> None:
    inbox = Inbox(lambda: None, max_droppable=64)
    drained: list[ev.Event] = []

    def produce(offset: int) -> None:
        for n in range(2000):
            inbox.put(step(offset + n))
            if n % 100 == 0:
                inbox.put(ev.Log(message=f"{offset}:{n}"))

    threads = [threading.Thread(target=produce, args=(k * 10_000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        drained += inbox.drain()
    drained += inbox.drain()
    logs = [e for e in drained if isinstance(e, ev.Log)]
    assert len(logs) == 4 * 20
    steps = sum(isinstance(e, ev.StepProgress) for e in drained)
    assert steps + inbox.dropped == 4 * 2000
