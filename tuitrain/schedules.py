"""Learning-rate schedules: the rate as a function of the global step, in plain Python.

The training loop asks for `lr_at(step)` before every optimizer step and writes the float into
the optimizer, so nothing here touches a tensor or waits for the device. The rate a schedule
gives is before the user's scale (see tuitrain.optim.LearningRate).
"""

from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from tuitrain.config.optim import (
    ConstantSchedule,
    CosineSchedule,
    CyclicSchedule,
    OneCycleSchedule,
    PlateauSchedule,
    Schedule,
    StepSchedule,
    WarmupCosineSchedule,
)


class LRSchedule(ABC):
    """A schedule's learning rate as a function of the global step (0 = the first step)."""

    kind: ClassVar[str]
    discrete: ClassVar[bool] = False
    """True when the rate moves in jumps; the engine reports each jump as an event."""

    @abstractmethod
    def lr_at(self, step: int) -> float: ...

    def observe(self, metrics: Mapping[str, float], step: int) -> None:
        """Called after each validation; only schedules that react to metrics override it."""
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if state.get("kind") != self.kind:
            raise ValueError(
                f"the saved learning-rate state is for a {state.get('kind')!r} schedule, "
                f"this run uses {self.kind!r}"
            )


def cosine(start: float, end: float, pct: float) -> float:
    """Half a cosine from start (pct 0) to end (pct 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * pct)) / 2.0


def _check_step(step: int) -> None:
    if step < 0:
        raise ValueError(f"steps count from 0; got {step}")


class Constant(LRSchedule):
    kind = "constant"

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def lr_at(self, step: int) -> float:
        _check_step(step)
        return self.lr


class Cosine(LRSchedule):
    """From lr to min_lr over total steps; min_lr from then on."""

    kind = "cosine"

    def __init__(self, lr: float, min_lr: float, total: int) -> None:
        self.lr, self.min_lr, self.total = lr, min_lr, total

    def lr_at(self, step: int) -> float:
        _check_step(step)
        return cosine(self.lr, self.min_lr, min(step / self.total, 1.0))


class WarmupCosine(LRSchedule):
    """Linear from start_factor x lr to lr over `warmup` steps (a float), then cosine."""

    kind = "warmup_cosine"

    def __init__(
        self, lr: float, min_lr: float, warmup: float, start_factor: float, total: int
    ) -> None:
        if not 0 < warmup < total:
            raise ValueError(f"warmup ({warmup:g} steps) must be shorter than the run ({total})")
        self.lr, self.min_lr, self.total = lr, min_lr, total
        self.warmup, self.start = warmup, start_factor * lr

    def lr_at(self, step: int) -> float:
        _check_step(step)
        if step < self.warmup:
            return self.start + (self.lr - self.start) * step / self.warmup
        pct = (step - self.warmup) / (self.total - self.warmup)
        return cosine(self.lr, self.min_lr, min(pct, 1.0))


class Cyclic(LRSchedule):
    """SGDR: cosine from lr to min_lr within each cycle; each cycle `mult` times longer."""

    kind = "cyclic"

    def __init__(self, lr: float, min_lr: float, first: float, mult: float) -> None:
        self.lr, self.min_lr, self.first, self.mult = lr, min_lr, first, mult

    def cycle(self, step: int) -> tuple[float, float]:
        """(steps into the current cycle, the cycle's length)."""
        t0, m = self.first, self.mult
        if m == 1.0:
            i = math.floor(step / t0)
        else:  # cycle i starts at t0 (m^i - 1) / (m - 1)
            i = math.floor(math.log1p(step * (m - 1) / t0) / math.log(m))
        length = t0 * m**i
        start = t0 * i if m == 1.0 else t0 * (m**i - 1) / (m - 1)
        # Rounding can put a step that sits on a restart into the cycle before or after.
        if step - start >= length:
            start, length = start + length, length * m
        elif step < start:
            length /= m
            start -= length
        return step - start, length

    def lr_at(self, step: int) -> float:
        _check_step(step)
        into, length = self.cycle(step)
        return cosine(self.lr, self.min_lr, into / length)


class Step(LRSchedule):
    """lr x gamma^(drops so far); drops happen at epoch boundaries."""

    kind = "step"
    discrete = True

    def __init__(
        self,
        lr: float,
        gamma: float,
        steps_per_epoch: int,
        every: int,
        milestones: Sequence[int] | None = None,
    ) -> None:
        self.lr, self.gamma, self.steps_per_epoch, self.every = lr, gamma, steps_per_epoch, every
        self.milestones = sorted(milestones) if milestones else None

    def lr_at(self, step: int) -> float:
        _check_step(step)
        epochs_done = step // self.steps_per_epoch
        if self.milestones is not None:
            drops = bisect.bisect_right(self.milestones, epochs_done)
        else:
            drops = epochs_done // self.every
        return self.lr * self.gamma**drops


class OneCycle(LRSchedule):
    """torch's OneCycleLR (two phases): up from max_lr/div to max_lr, then far down."""

    kind = "onecycle"

    def __init__(
        self,
        max_lr: float,
        total: int,
        pct_start: float,
        div_factor: float,
        final_div_factor: float,
        anneal: str,
    ) -> None:
        self.max_lr, self.total = max_lr, total
        self.initial = max_lr / div_factor
        self.final = self.initial / final_div_factor
        self.peak_step = pct_start * total - 1  # as torch places it
        self.anneal = anneal

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal == "cos":
            return cosine(start, end, pct)
        return start + (end - start) * pct

    def lr_at(self, step: int) -> float:
        _check_step(step)
        step = min(step, self.total - 1)
        peak, last = self.peak_step, self.total - 1
        if step <= peak:
            return self._anneal(self.initial, self.max_lr, step / peak if peak > 0 else 1.0)
        span = last - peak
        return self._anneal(self.max_lr, self.final, (step - peak) / span if span > 0 else 1.0)


class Plateau(LRSchedule):
    """ReduceLROnPlateau: drop by `factor` after `patience` validations without improvement."""

    kind = "plateau"
    discrete = True
    EPS = 1e-8
    """Drops smaller than this are skipped (as in torch), so min_lr is not approached forever."""

    def __init__(self, lr: float, cfg: PlateauSchedule) -> None:
        self.lr, self.cfg = lr, cfg
        self.maximize = cfg.monitor.endswith("_acc")
        self.best: float | None = None
        self.bad = 0
        self.cooldown = 0
        self.scale = 1.0

    def lr_at(self, step: int) -> float:
        _check_step(step)
        return self.lr * self.scale

    def improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.maximize:
            return value > self.best * (1.0 + self.cfg.threshold)
        return value < self.best * (1.0 - self.cfg.threshold)

    def observe(self, metrics: Mapping[str, float], step: int) -> None:
        value = metrics.get(self.cfg.monitor)
        if value is None or not math.isfinite(value):
            return  # no validation this time, or a diverged one the engine rolls back
        if self.improved(value):
            self.best, self.bad = float(value), 0
        else:
            self.bad += 1
        if self.cooldown > 0:
            self.cooldown -= 1
            self.bad = 0
        if self.bad > self.cfg.patience:
            self._drop()
            self.cooldown, self.bad = self.cfg.cooldown, 0

    def _drop(self) -> None:
        old = self.lr * self.scale
        new = max(old * self.cfg.factor, self.cfg.min_lr)
        if old - new > self.EPS:
            self.scale = new / self.lr

    def state_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "best": self.best,
            "bad": self.bad,
            "cooldown": self.cooldown,
            "scale": self.scale,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        super().load_state_dict(state)
        self.best = None if state["best"] is None else float(state["best"])
        self.bad, self.cooldown = int(state["bad"]), int(state["cooldown"])
        self.scale = float(state["scale"])


def build_schedule(
    cfg: Schedule, *, base_lr: float, epochs: int, steps_per_epoch: int
) -> LRSchedule:
    """The preset's schedule for a run of epochs x steps_per_epoch optimizer steps."""
    if base_lr <= 0 or epochs < 1 or steps_per_epoch < 1:
        raise ValueError(
            f"a schedule needs a positive rate and run length; got lr={base_lr}, "
            f"epochs={epochs}, steps_per_epoch={steps_per_epoch}"
        )
    total = epochs * steps_per_epoch
    if isinstance(cfg, ConstantSchedule):
        return Constant(base_lr)
    if isinstance(cfg, PlateauSchedule):
        return Plateau(base_lr, cfg)
    if isinstance(cfg, CosineSchedule):
        return Cosine(base_lr, cfg.min_lr, total)
    if isinstance(cfg, WarmupCosineSchedule):
        warmup = cfg.warmup_epochs * steps_per_epoch
        return WarmupCosine(base_lr, cfg.min_lr, warmup, cfg.warmup_start, total)
    if isinstance(cfg, CyclicSchedule):
        return Cyclic(base_lr, cfg.min_lr, cfg.cycle_epochs * steps_per_epoch, cfg.cycle_mult)
    if isinstance(cfg, StepSchedule):
        return Step(base_lr, cfg.gamma, steps_per_epoch, cfg.step_epochs, cfg.milestones)
    if isinstance(cfg, OneCycleSchedule):
        peak = cfg.max_lr if cfg.max_lr is not None else base_lr
        return OneCycle(
            peak, total, cfg.pct_start, cfg.div_factor, cfg.final_div_factor, cfg.anneal
        )
    raise ValueError(f"unknown schedule kind {getattr(cfg, 'kind', cfg)!r}")
