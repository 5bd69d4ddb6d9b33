"""The monitor on a trainer in this process, through the trainer's public face only."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace

from tests.ui.fakes import history_events
from tests.ui.screen import shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.local import TrainerLink, wait_for_run


class FakeTrainer:
    """Emits a scripted history from its own thread, then answers Stop with Finished."""

    def __init__(self) -> None:
        self.name = "demo"
        self.preset = SimpleNamespace(monitor=MonitorSettings(refresh_hz=10, confirm_quit=False))
        self.result: ev.Finished | ev.Failed | None = None
        self.consumers: list[Callable[[ev.Event], None]] = []
        self.submitted: list[cmd.Command] = []
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def subscribe(self, consumer: Callable[[ev.Event], None]) -> None:
        self.consumers.append(consumer)

    def submit(self, command: cmd.Command) -> None:
        self.submitted.append(command)
        if isinstance(command, cmd.Stop):
            self.stopped.set()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def join(self, timeout: float | None = None) -> bool:
        if self.thread is None:
            return self.result is not None
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _run(self) -> None:
        for event in history_events():
            self._emit(event)
        self.stopped.wait(10)
        self.result = ev.Finished(
            status="stopped",
            step=170,
            epoch=3,
            elapsed_s=17.0,
            best_metric="val_acc",
            best_value=0.59,
            source="key",
        )
        self._emit(self.result)

    def _emit(self, event: ev.Event) -> None:
        for consumer in self.consumers:
            consumer(event)


async def test_a_local_run_is_monitored_steered_and_stopped() -> None:
    trainer = FakeTrainer()
    link = TrainerLink(trainer)
    app = MonitorApp(link, trainer.preset.monitor, "demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await shows(pilot, "RUNNING", "epoch 3/10: train")
        await pilot.press("v")
        assert isinstance(trainer.submitted[-1], cmd.Validate)
        await pilot.press("q")  # confirm_quit is off in this preset
        await until(pilot, lambda: app.return_code is not None)
    assert isinstance(trainer.submitted[-1], cmd.Stop)
    assert app.return_code == 0 and link.started
    wait_for_run(trainer, asked=app.stop_sent)  # already over: returns at once
    assert sum(isinstance(c, cmd.Stop) for c in trainer.submitted) == 1


def test_a_run_left_going_by_the_monitor_is_stopped_and_waited_for() -> None:
    trainer = FakeTrainer()
    trainer.start()
    wait_for_run(trainer, asked=False)
    assert [type(c) for c in trainer.submitted] == [cmd.Stop]
    assert trainer.submitted[0].source == "monitor"
    assert trainer.result is not None


def test_a_resumed_run_shows_its_history_first_but_not_the_earlier_ending() -> None:
    earlier = [*history_events(epochs_done=2), ev.Finished(
        status="interrupted", step=110, epoch=2, elapsed_s=11.0, best_metric="val_acc",
        best_value=0.5,
    )]  # fmt: skip
    trainer = FakeTrainer()
    link = TrainerLink(trainer, earlier)
    seen: list[ev.Event] = []
    link.start(seen.append)
    trainer.stopped.set()
    assert trainer.join(timeout=10)
    assert seen[: len(earlier) - 1] == earlier[:-1]  # the history, in order, first
    assert earlier[-1] not in seen  # the killed process's ending would close the monitor
    assert seen[-1] is trainer.result  # then the live run
