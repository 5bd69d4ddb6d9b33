"""Elapsed time without pauses, and ETAs that count the validations still to come."""

from __future__ import annotations

import pytest

from tuitrain.engine import clock as clock_module
from tuitrain.engine.clock import Clock
from tuitrain.engine.reporter import mid_epoch_validations


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(clock_module.time, "monotonic", fake.monotonic)
    return fake


def test_paused_time_is_left_out_of_elapsed(fake_time: FakeTime) -> None:
    clock = Clock(elapsed=5.0)  # resumed from a checkpoint 5 s into the run
    fake_time.now += 10
    clock.pause()
    fake_time.now += 600
    assert clock.elapsed() == 15.0  # frozen while paused
    assert clock.resume() == 600
    fake_time.now += 2
    assert clock.elapsed() == 17.0


def test_the_eta_counts_steps_and_validations_left(fake_time: FakeTime) -> None:
    clock = Clock()
    assert clock.eta(100, 1) is None  # nothing measured yet
    clock.observe_steps(10, 1.0)
    clock.val_seconds = 3.0
    assert clock.eta(100, 2) == pytest.approx(100 * 0.1 + 2 * 3.0)


def test_the_step_estimate_follows_a_change_of_speed() -> None:
    clock = Clock()
    clock.observe_steps(10, 1.0)
    for _ in range(20):
        clock.observe_steps(10, 2.0)
    assert clock.step_seconds == pytest.approx(0.2, rel=0.01)


@pytest.mark.parametrize("every", [1, 3, 5, 10, 12])
@pytest.mark.parametrize("batches", [4, 5, 10])
def test_mid_epoch_validations_match_the_loop(every: int, batches: int) -> None:
    for step in range(0, 40):
        for left in range(0, 40):
            # What the training loop does: validate after step s when s % every == 0,
            # unless s ends an epoch.
            expected = sum(
                1 for s in range(step + 1, step + left + 1) if s % every == 0 and s % batches
            )
            assert mid_epoch_validations(step, left, every, batches) == expected
