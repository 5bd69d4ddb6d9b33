from __future__ import annotations

import io
import math

import pytest
import torch
from torch import nn

from tuitrain.config.model import CnnModel
from tuitrain.config.optim import (
    AdamOptim,
    AdamwOptim,
    ConstantSchedule,
    CosineSchedule,
    CyclicSchedule,
    OneCycleSchedule,
    PlateauSchedule,
    RmspropOptim,
    SgdOptim,
    StepSchedule,
    WarmupCosineSchedule,
)
from tuitrain.models import build_model
from tuitrain.optim import LearningRate, build_optimizer, build_schedule, implementation
from tuitrain.schedules import LRSchedule

LR = 0.1
SCHEDULES = [
    ConstantSchedule(),
    PlateauSchedule(patience=0),
    CosineSchedule(min_lr=0.001),
    WarmupCosineSchedule(warmup_epochs=1, warmup_start=0.1),
    CyclicSchedule(cycle_epochs=1.5),
    StepSchedule(step_epochs=1),
    OneCycleSchedule(),
]


def tiny_cnn() -> nn.Module:
    cfg = CnnModel(widths=[4, 8], blocks=1)
    return build_model(cfg, in_channels=3, num_classes=5, image_size=8)


def ids(params: list[torch.Tensor]) -> set[int]:
    return {id(p) for p in params}


def test_weight_decay_skips_norms_and_biases() -> None:
    model = tiny_cnn()
    optimizer = build_optimizer(SgdOptim(weight_decay=5e-4), model)
    decayed, plain = optimizer.param_groups
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    others = [p for m in norms for p in (m.weight, m.bias)] + [model.head.linear.bias]
    assert len(weights) == 3 and len(others) == 5
    assert ids(decayed["params"]) == ids(weights) and decayed["weight_decay"] == 5e-4
    assert ids(plain["params"]) == ids(others) and plain["weight_decay"] == 0.0


def test_decay_norm_and_bias_decays_everything() -> None:
    model = tiny_cnn()
    optimizer = build_optimizer(AdamwOptim(weight_decay=0.05, decay_norm_and_bias=True), model)
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.05, 0.05]
    together = [p for g in optimizer.param_groups for p in g["params"]]
    assert ids(together) == ids(list(model.parameters()))


def test_frozen_parameters_stay_out() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
    model[0].requires_grad_(False)
    optimizer = build_optimizer(SgdOptim(), model)
    together = [p for g in optimizer.param_groups for p in g["params"]]
    assert ids(together) == {id(model[1].weight), id(model[1].bias)}


def test_settings_reach_the_torch_optimizer() -> None:
    model = tiny_cnn()
    sgd = build_optimizer(SgdOptim(lr=0.2, momentum=0.8, nesterov=True), model)
    assert isinstance(sgd, torch.optim.SGD)
    group = sgd.param_groups[0]
    assert (group["lr"], group["momentum"], group["nesterov"]) == (0.2, 0.8, True)

    rms = build_optimizer(RmspropOptim(alpha=0.9, momentum=0.5, centered=True, eps=1e-6), model)
    group = rms.param_groups[0]
    assert isinstance(rms, torch.optim.RMSprop)
    assert (group["alpha"], group["momentum"], group["centered"], group["eps"]) == (
        0.9,
        0.5,
        True,
        1e-6,
    )

    adam = build_optimizer(AdamOptim(betas=(0.8, 0.99), eps=1e-7), model)
    assert type(adam) is torch.optim.Adam
    assert (adam.param_groups[0]["betas"], adam.param_groups[0]["eps"]) == ((0.8, 0.99), 1e-7)

    adamw = build_optimizer(AdamwOptim(), model)
    assert type(adamw) is torch.optim.AdamW
    assert adamw.param_groups[0]["weight_decay"] == 0.01


@pytest.mark.parametrize(
    "cfg",
    [
        SgdOptim(lr=0.05, momentum=0.0),
        SgdOptim(lr=0.05, nesterov=True),
        RmspropOptim(lr=0.05),
        AdamOptim(lr=0.05),
        AdamwOptim(lr=0.05),
    ],
    ids=lambda c: f"{c.kind}-{getattr(c, 'nesterov', '')}",
)
def test_every_optimizer_reduces_a_quadratic(cfg: object) -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    x = torch.randn(64, 4)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 1.0

    def loss() -> torch.Tensor:
        return (model(x).squeeze(1) - y).pow(2).mean()

    optimizer = build_optimizer(cfg, model)  # type: ignore[arg-type]
    start = loss().item()
    for _ in range(60):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert loss().item() < 0.2 * start


def test_lr_stays_a_python_float_and_not_capturable() -> None:
    for cfg in [SgdOptim(), RmspropOptim(), AdamOptim(), AdamwOptim()]:
        optimizer = build_optimizer(cfg, tiny_cnn())
        for group in optimizer.param_groups:
            assert type(group["lr"]) is float
            assert not group.get("capturable", False)


def test_fused_where_torch_has_it_else_foreach() -> None:
    cuda = torch.device("cuda")
    assert implementation(torch.optim.SGD, cuda) == {"fused": True}
    assert implementation(torch.optim.AdamW, cuda) == {"fused": True}
    assert implementation(torch.optim.RMSprop, cuda) == {"foreach": True}
    cpu = torch.device("cpu")
    assert implementation(torch.optim.SGD, cpu) == {"foreach": True}  # faster there than fused
    # Whatever is picked for the CPU must run there and move the weights.
    for cfg in [SgdOptim(), RmspropOptim(), AdamOptim(), AdamwOptim()]:
        model = tiny_cnn()
        optimizer = build_optimizer(cfg, model)
        before = model.head.linear.weight.detach().clone()
        model(torch.randn(2, 3, 8, 8)).sum().backward()
        optimizer.step()
        assert not torch.equal(model.head.linear.weight, before)


def schedule(cfg: object) -> LRSchedule:
    return build_schedule(cfg, base_lr=LR, epochs=5, steps_per_epoch=4)  # type: ignore[arg-type]


@pytest.mark.parametrize("cfg", SCHEDULES, ids=lambda c: c.kind)
def test_halving_twice_quarters_the_rate(cfg: object) -> None:
    lr = LearningRate(schedule(cfg))
    lr.schedule.observe({"val_loss": 1.0}, 4)
    lr.schedule.observe({"val_loss": 1.0}, 8)  # plateau drops once here
    before = [lr.at(s) for s in range(25)]
    lr.scale_by(0.5)
    lr.scale_by(0.5)
    assert [lr.at(s) for s in range(25)] == pytest.approx([b / 4 for b in before], rel=1e-12)


@pytest.mark.parametrize("cfg", SCHEDULES, ids=lambda c: c.kind)
def test_set_gives_the_value_and_keeps_the_shape(cfg: object) -> None:
    lr = LearningRate(schedule(cfg))
    lr.set(0.037, step=6)
    assert lr.at(6) == pytest.approx(0.037, rel=1e-12)
    ratio = 0.037 / lr.schedule.lr_at(6)
    assert lr.at(15) == pytest.approx(lr.schedule.lr_at(15) * ratio, rel=1e-12)


def test_plateau_drops_compound_with_the_users_scale() -> None:
    lr = LearningRate(schedule(PlateauSchedule(patience=0, factor=0.5)))
    lr.scale_by(0.1)
    lr.schedule.observe({"val_loss": 1.0}, 4)
    lr.schedule.observe({"val_loss": 1.0}, 8)
    assert lr.at(8) == pytest.approx(LR * 0.1 * 0.5)


def test_set_is_refused_where_the_schedule_gives_zero() -> None:
    lr = LearningRate(schedule(WarmupCosineSchedule(warmup_epochs=1, warmup_start=0.0)))
    with pytest.raises(ValueError, match="gives 0 at step 0"):
        lr.set(0.01, step=0)
    assert lr.scale == 1.0
    lr.set(0.01, step=1)
    assert lr.at(1) == pytest.approx(0.01)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_nonsense_values_are_refused(bad: float) -> None:
    lr = LearningRate(schedule(ConstantSchedule()))
    with pytest.raises(ValueError):
        lr.set(bad, step=0)
    with pytest.raises(ValueError):
        lr.scale_by(bad)
    assert lr.scale == 1.0


def test_apply_writes_every_group_and_the_step_uses_it() -> None:
    model = nn.Linear(3, 2)
    optimizer = build_optimizer(SgdOptim(momentum=0.0), model)
    lr = LearningRate(schedule(CosineSchedule()), scale=0.5)
    assert lr.apply(optimizer, 10) == pytest.approx(0.5 * LR / 2)
    assert [g["lr"] for g in optimizer.param_groups] == [lr.at(10)] * 2
    before = model.weight.detach().clone()
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    torch.testing.assert_close(model.weight, before - lr.at(10) * torch.ones(2, 3))


def test_state_round_trip_keeps_scale_and_schedule() -> None:
    lr = LearningRate(schedule(PlateauSchedule(patience=0)))
    lr.scale_by(0.3)
    lr.schedule.observe({"val_loss": 1.0}, 4)
    lr.schedule.observe({"val_loss": 2.0}, 8)
    buffer = io.BytesIO()
    torch.save(lr.state_dict(), buffer)
    buffer.seek(0)
    resumed = LearningRate(schedule(PlateauSchedule(patience=0)))
    resumed.load_state_dict(torch.load(buffer, weights_only=True))
    assert resumed.scale == lr.scale
    assert resumed.at(9) == lr.at(9) == pytest.approx(LR * 0.3 * 0.5)
