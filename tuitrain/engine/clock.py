"""Training time, throughput and ETA, with paused time left out."""

from __future__ import annotations

import time


class Clock:
    """Elapsed training time excludes pauses; ETAs include the validations still to come."""

    def __init__(self, elapsed: float = 0.0) -> None:
        self.restart(elapsed)

    def restart(self, elapsed: float) -> None:
        """Start again from `elapsed` seconds (a resume, a roll-back): no pause, no estimates."""
        self._base = elapsed
        self._started = time.monotonic()
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self.step_seconds: float | None = None  # smoothed seconds per training step
        self.val_seconds: float | None = None  # duration of the latest validation pass

    def elapsed(self) -> float:
        now = self._paused_at if self._paused_at is not None else time.monotonic()
        return self._base + now - self._started - self._paused_total

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = time.monotonic()

    def resume(self) -> float:
        """Leave the pause; returns how long it lasted."""
        if self._paused_at is None:
            return 0.0
        paused = time.monotonic() - self._paused_at
        self._paused_total += paused
        self._paused_at = None
        return paused

    def observe_steps(self, steps: int, seconds: float) -> None:
        """Fold a measured window of steps into the per-step estimate."""
        if steps <= 0 or seconds <= 0:
            return
        sample = seconds / steps
        if self.step_seconds is None:
            self.step_seconds = sample
        else:
            # Weight by the window's length so short and long windows count fairly.
            weight = min(0.5, 0.05 * steps)
            self.step_seconds += weight * (sample - self.step_seconds)

    def eta(self, steps_left: int, validations_left: int) -> float | None:
        if self.step_seconds is None:
            return None
        val = (self.val_seconds or 0.0) * validations_left
        return steps_left * self.step_seconds + val
