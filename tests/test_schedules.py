from __future__ import annotations

import io
import math
from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as tls

from tuitrain.config.optim import (
    ConstantSchedule,
    CosineSchedule,
    CyclicSchedule,
    OneCycleSchedule,
    PlateauSchedule,
    StepSchedule,
    WarmupCosineSchedule,
)
from tuitrain.schedules import LRSchedule, build_schedule

LR = 0.1


def rates(schedule: LRSchedule, steps: int) -> list[float]:
    return [schedule.lr_at(s) for s in range(steps)]


def torch_rates(make: Callable[[torch.optim.Optimizer], object], steps: int) -> list[float]:
    """The rate torch's scheduler gives each step when stepped once per optimizer step."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    scheduler = make(optimizer)
    seen = []
    for _ in range(steps):
        seen.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return seen


def close(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-12), f"step {i}: {a} != {b}"


def test_constant() -> None:
    schedule = build_schedule(ConstantSchedule(), base_lr=LR, epochs=3, steps_per_epoch=4)
    assert set(rates(schedule, 20)) == {LR}
    assert not schedule.discrete


def test_cosine_closed_form_and_torch() -> None:
    cfg = CosineSchedule(min_lr=0.001)
    schedule = build_schedule(cfg, base_lr=LR, epochs=4, steps_per_epoch=25)
    assert schedule.lr_at(0) == LR
    assert schedule.lr_at(50) == pytest.approx((LR + 0.001) / 2)
    assert schedule.lr_at(25) == pytest.approx(
        0.001 + (LR - 0.001) * (1 + math.cos(math.pi / 4)) / 2
    )
    assert schedule.lr_at(100) == schedule.lr_at(150) == pytest.approx(0.001)
    close(rates(schedule, 100), torch_rates(lambda o: tls.CosineAnnealingLR(o, 100, 0.001), 100))
    assert not schedule.discrete


def test_warmup_cosine_closed_form() -> None:
    cfg = WarmupCosineSchedule(warmup_epochs=0.5, warmup_start=0.0, min_lr=0.0)
    schedule = build_schedule(cfg, base_lr=LR, epochs=3, steps_per_epoch=10)
    # 5 warmup steps from 0, then a cosine over the remaining 25.
    assert rates(schedule, 6) == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08, 0.1])
    assert schedule.lr_at(5 + 25 // 2) == pytest.approx(LR * (1 + math.cos(math.pi * 12 / 25)) / 2)
    assert schedule.lr_at(30) == pytest.approx(0.0, abs=1e-15)


def test_warmup_cosine_fractional_warmup_steps() -> None:
    cfg = WarmupCosineSchedule(warmup_epochs=0.25, warmup_start=0.5)
    schedule = build_schedule(cfg, base_lr=LR, epochs=2, steps_per_epoch=10)
    # 2.5 warmup steps: 0.05, 0.07, 0.09, then the cosine from 2.5 on.
    assert rates(schedule, 3) == pytest.approx([0.05, 0.07, 0.09])
    assert schedule.lr_at(3) == pytest.approx(LR * (1 + math.cos(math.pi * 0.5 / 17.5)) / 2)


def test_warmup_cosine_matches_torch_linear_then_cosine() -> None:
    cfg = WarmupCosineSchedule(warmup_epochs=1, warmup_start=0.1, min_lr=0.002)
    schedule = build_schedule(cfg, base_lr=LR, epochs=5, steps_per_epoch=8)

    def make(o: torch.optim.Optimizer) -> object:
        warm = tls.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=8)
        decay = tls.CosineAnnealingLR(o, T_max=32, eta_min=0.002)
        return tls.SequentialLR(o, [warm, decay], milestones=[8])

    close(rates(schedule, 40), torch_rates(make, 40))


def test_warmup_longer_than_the_run_is_refused() -> None:
    cfg = WarmupCosineSchedule(warmup_epochs=3)
    with pytest.raises(ValueError, match="shorter than the run"):
        build_schedule(cfg, base_lr=LR, epochs=3, steps_per_epoch=10)


@pytest.mark.parametrize("mult", [1, 2, 3])
def test_cyclic_matches_torch_warm_restarts(mult: int) -> None:
    cfg = CyclicSchedule(cycle_epochs=2, cycle_mult=mult, min_lr=0.001)
    schedule = build_schedule(cfg, base_lr=LR, epochs=40, steps_per_epoch=5)
    expected = torch_rates(lambda o: tls.CosineAnnealingWarmRestarts(o, 10, mult, 0.001), 200)
    close(rates(schedule, 200), expected)


def test_cyclic_restarts_where_expected() -> None:
    cfg = CyclicSchedule(cycle_epochs=1.5, cycle_mult=2.0)
    schedule = build_schedule(cfg, base_lr=LR, epochs=20, steps_per_epoch=4)
    # Cycles of 6, 12, 24 steps start at 0, 6, 18, 42.
    for start, length in [(0, 6), (6, 12), (18, 24), (42, 48)]:
        assert schedule.lr_at(start) == pytest.approx(LR)
        assert schedule.lr_at(start + length // 2) == pytest.approx(LR / 2)
        last = LR * (1 + math.cos(math.pi * (length - 1) / length)) / 2
        assert schedule.lr_at(start + length - 1) == pytest.approx(last)
    assert not schedule.discrete


def test_step_every_epochs() -> None:
    schedule = build_schedule(
        StepSchedule(step_epochs=2, gamma=0.5), base_lr=LR, epochs=8, steps_per_epoch=3
    )
    assert schedule.discrete
    assert schedule.lr_at(5) == LR and schedule.lr_at(6) == LR * 0.5
    assert schedule.lr_at(12) == pytest.approx(LR * 0.25)  # epoch 4: two drops
    close(rates(schedule, 24), torch_rates(lambda o: tls.StepLR(o, 6, 0.5), 24))


def test_step_milestones() -> None:
    cfg = StepSchedule(milestones=[5, 3], gamma=0.1)
    schedule = build_schedule(cfg, base_lr=LR, epochs=8, steps_per_epoch=4)
    by_epoch = [schedule.lr_at(4 * e) for e in range(8)]
    assert by_epoch == pytest.approx([LR] * 3 + [LR * 0.1] * 2 + [LR * 0.01] * 3)
    assert schedule.lr_at(11) == LR  # the last step of epoch 3 still runs at the old rate
    close(rates(schedule, 32), torch_rates(lambda o: tls.MultiStepLR(o, [12, 20], 0.1), 32))


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize(("pct", "epochs", "per_epoch"), [(0.3, 10, 7), (0.3, 4, 1), (0.5, 1, 3)])
def test_onecycle_matches_torch(anneal: str, pct: float, epochs: int, per_epoch: int) -> None:
    cfg = OneCycleSchedule(
        max_lr=0.4, pct_start=pct, div_factor=20, final_div_factor=100, anneal=anneal
    )
    schedule = build_schedule(cfg, base_lr=LR, epochs=epochs, steps_per_epoch=per_epoch)
    total = epochs * per_epoch

    def make(o: torch.optim.Optimizer) -> object:
        return tls.OneCycleLR(
            o,
            max_lr=0.4,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=anneal,
            div_factor=20,
            final_div_factor=100,
            cycle_momentum=False,
        )

    close(rates(schedule, total), torch_rates(make, total))


def test_onecycle_key_points() -> None:
    schedule = build_schedule(OneCycleSchedule(), base_lr=LR, epochs=10, steps_per_epoch=10)
    assert schedule.lr_at(0) == pytest.approx(LR / 25)
    assert schedule.lr_at(29) == pytest.approx(LR)  # the peak: 30% of 100 steps, less one
    assert schedule.lr_at(99) == pytest.approx(LR / 25 / 1e4)
    assert schedule.lr_at(500) == schedule.lr_at(99)


def test_onecycle_peak_on_the_first_step() -> None:
    # 25% of 4 steps puts the peak at step 0 (torch divides by zero there).
    cfg = OneCycleSchedule(pct_start=0.25, anneal="linear")
    schedule = build_schedule(cfg, base_lr=LR, epochs=4, steps_per_epoch=1)
    final = LR / 25 / 1e4
    assert rates(schedule, 4) == pytest.approx(
        [LR, LR + (final - LR) / 3, LR + 2 * (final - LR) / 3, final]
    )


def plateau(**fields: object) -> LRSchedule:
    cfg = PlateauSchedule(**{"min_lr": 0.0, **fields})  # type: ignore[arg-type]
    return build_schedule(cfg, base_lr=LR, epochs=100, steps_per_epoch=10)


def feed(schedule: LRSchedule, values: list[float], key: str = "val_loss") -> list[float]:
    """The rate after each validation."""
    seen = []
    for i, value in enumerate(values):
        schedule.observe({key: value, "train_loss": 9.0}, step=10 * (i + 1))
        seen.append(schedule.lr_at(10 * (i + 1)))
    return seen


def test_plateau_drops_after_patience_on_a_flat_metric() -> None:
    schedule = plateau(patience=2, factor=0.5)
    assert schedule.discrete
    seen = feed(schedule, [1.0] * 7)
    # First value sets the best; 3 more without improvement (> patience) drop the rate.
    assert seen == pytest.approx([LR] * 3 + [LR / 2] * 3 + [LR / 4])


def test_plateau_respects_cooldown() -> None:
    schedule = plateau(patience=0, factor=0.5, cooldown=2)
    seen = feed(schedule, [1.0] * 8)
    # Drop, then 2 validations of cooldown where bad ones do not count, then drop again.
    assert seen == pytest.approx([LR, LR / 2, LR / 2, LR / 2, LR / 4, LR / 4, LR / 4, LR / 8])


def test_plateau_respects_min_lr() -> None:
    schedule = plateau(patience=0, factor=0.1, min_lr=0.004)
    assert feed(schedule, [1.0] * 5) == pytest.approx([LR, 0.01, 0.004, 0.004, 0.004])


def test_plateau_improvement_is_relative_and_follows_the_metric() -> None:
    losses = plateau(patience=0, threshold=0.1)
    # 0.95 is not 10% better than 1.0; 0.8 is.
    assert feed(losses, [1.0, 0.95, 0.8]) == pytest.approx([LR, LR / 2, LR / 2])
    accuracy = plateau(patience=0, monitor="val_acc")
    assert feed(accuracy, [0.5, 0.6, 0.7], key="val_acc") == pytest.approx([LR] * 3)
    assert feed(accuracy, [0.7], key="val_acc") == pytest.approx([LR / 2])


def test_plateau_ignores_missing_and_nonfinite_metrics() -> None:
    schedule = plateau(patience=0)
    schedule.observe({"val_loss": 1.0}, 1)
    schedule.observe({"train_loss": 5.0}, 2)
    schedule.observe({"val_loss": math.nan}, 3)
    assert schedule.lr_at(3) == LR
    assert schedule.state_dict()["best"] == 1.0


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0.1, 2.0), min_size=1, max_size=30),
    patience=st.integers(0, 3),
    cooldown=st.integers(0, 2),
    factor=st.sampled_from([0.1, 0.5, 0.9]),
    maximize=st.booleans(),
)
def test_plateau_matches_torch(
    values: list[float], patience: int, cooldown: int, factor: float, maximize: bool
) -> None:
    monitor = "val_acc" if maximize else "val_loss"
    ours = plateau(
        patience=patience, cooldown=cooldown, factor=factor, monitor=monitor, min_lr=0.003
    )
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=LR)
    theirs = tls.ReduceLROnPlateau(
        optimizer,
        mode="max" if maximize else "min",
        factor=factor,
        patience=patience,
        threshold=1e-4,
        cooldown=cooldown,
        min_lr=0.003,
    )
    for i, value in enumerate(values):
        ours.observe({monitor: value}, step=i)
        theirs.step(value)
        assert ours.lr_at(i) == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-9)


def every_kind() -> list[object]:
    return [
        ConstantSchedule(),
        PlateauSchedule(patience=0),
        CosineSchedule(min_lr=0.001),
        WarmupCosineSchedule(warmup_epochs=1.5),
        CyclicSchedule(cycle_epochs=1.5, cycle_mult=2),
        StepSchedule(step_epochs=2),
        OneCycleSchedule(),
    ]


@pytest.mark.parametrize("cfg", every_kind(), ids=lambda c: c.kind)
def test_state_round_trip_mid_run_continues_identically(cfg: object) -> None:
    def build() -> LRSchedule:
        return build_schedule(cfg, base_lr=LR, epochs=6, steps_per_epoch=5)  # type: ignore[arg-type]

    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.8]
    original = build()
    for epoch, value in enumerate(metrics[:3]):
        original.observe({"val_loss": value}, 5 * (epoch + 1))
    buffer = io.BytesIO()
    torch.save(original.state_dict(), buffer)
    buffer.seek(0)
    resumed = build()
    resumed.load_state_dict(torch.load(buffer, weights_only=True))

    for epoch, value in enumerate(metrics[3:], start=3):
        steps = range(5 * epoch, 5 * (epoch + 1))
        assert [resumed.lr_at(s) for s in steps] == [original.lr_at(s) for s in steps]
        original.observe({"val_loss": value}, 5 * (epoch + 1))
        resumed.observe({"val_loss": value}, 5 * (epoch + 1))
    assert resumed.state_dict() == original.state_dict()


def test_loading_another_kinds_state_is_refused() -> None:
    cosine = build_schedule(CosineSchedule(), base_lr=LR, epochs=2, steps_per_epoch=2)
    flat = build_schedule(PlateauSchedule(), base_lr=LR, epochs=2, steps_per_epoch=2)
    with pytest.raises(ValueError, match="'plateau' schedule"):
        cosine.load_state_dict(flat.state_dict())


def test_negative_steps_and_empty_runs_are_refused() -> None:
    schedule = build_schedule(CosineSchedule(), base_lr=LR, epochs=2, steps_per_epoch=2)
    with pytest.raises(ValueError):
        schedule.lr_at(-1)
    with pytest.raises(ValueError):
        build_schedule(CosineSchedule(), base_lr=LR, epochs=2, steps_per_epoch=0)
