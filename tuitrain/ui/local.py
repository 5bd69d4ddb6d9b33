"""The monitor's link to a run trained in this process (`tuitrain run` and `resume`).

The trainer is used through its public face only (subscribe, submit, start, join, result,
preset.monitor, name), so this module never imports the engine's internals or torch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev

WAIT_NOTE_S = 2.0


class LocalTrainer(Protocol):
    name: str
    preset: Any
    result: ev.Finished | ev.Failed | None

    def subscribe(self, consumer: Callable[[ev.Event], None]) -> None: ...
    def submit(self, command: cmd.Command) -> None: ...
    def start(self) -> None: ...
    def join(self, timeout: float | None = None) -> bool: ...


class TrainerLink:
    """RunLink to a trainer in this process: quitting the monitor ends the run."""

    can_control = True
    owns_run = True

    def __init__(self, trainer: LocalTrainer, history: Sequence[ev.Event] = ()) -> None:
        """`history`: what a resumed run did before (its events.jsonl), shown first. The
        endings of earlier processes are left out: this run goes on."""
        self.trainer = trainer
        self.label = f"{trainer.name} (this process)"
        self.history = [e for e in history if not isinstance(e, (ev.Finished, ev.Failed))]
        self._emit: Callable[[ev.Event], None] | None = None
        self._closed = False
        self.started = False

    def start(self, emit: Callable[[ev.Event], None]) -> None:
        # Subscribed before the trainer starts, so no event is missed after the history.
        self._emit = emit
        for event in self.history:
            emit(event)
        self.trainer.subscribe(self._deliver)
        self.trainer.start()
        self.started = True

    def _deliver(self, event: ev.Event) -> None:
        if not self._closed and self._emit is not None:
            self._emit(event)

    def submit(self, command: cmd.Command) -> None:
        self.trainer.submit(command)

    def close(self) -> None:
        self._closed = True


def wait_for_run(trainer: LocalTrainer, asked: bool) -> None:
    """After the monitor closed: stop the run unless that was already asked, and wait for its
    checkpoint on the restored terminal."""
    if trainer.join(timeout=0):
        return
    if not asked:
        trainer.submit(cmd.Stop(source="monitor", reason="the monitor closed"))
    print("tuitrain: stopping the run and saving a checkpoint…", file=sys.stderr, flush=True)
    while not trainer.join(timeout=WAIT_NOTE_S):
        print("tuitrain: still saving… (Ctrl-C again quits at once)", file=sys.stderr, flush=True)
