"""The `optim` and `schedule` sections: the update rule and how its learning rate moves."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tuitrain.config.base import Section, rule_error

PositiveLR = Annotated[float, Field(gt=0.0, le=100.0)]
Beta = Annotated[float, Field(ge=0.0, lt=1.0)]
Decay = Annotated[float, Field(ge=0.0, le=1.0)]
Epochs = Annotated[float, Field(gt=0.0, le=100_000)]
MinLr = Annotated[float, Field(ge=0.0, le=100.0)]


class OptimCommon(Section):
    weight_decay: Decay = 0.0
    """L2 penalty (decoupled for adamw)."""
    decay_norm_and_bias: bool = False
    """Also decay normalization weights and biases (usually harmful)."""


class SgdOptim(OptimCommon):
    """Minibatch SGD; momentum > 0 adds heavy-ball momentum, nesterov the look-ahead variant."""

    kind: Literal["sgd"] = "sgd"
    lr: PositiveLR = 0.05
    momentum: Beta = 0.9
    """0 gives plain SGD."""
    nesterov: bool = False

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> SgdOptim:
        if self.nesterov and self.momentum == 0:
            raise rule_error(
                ("nesterov",),
                True,
                "Nesterov momentum needs momentum > 0; set optim.momentum (0.9 is usual)",
                "nesterov_momentum",
            )
        return self


class RmspropOptim(OptimCommon):
    """RMSProp: divides each step by a running RMS of the gradient."""

    kind: Literal["rmsprop"] = "rmsprop"
    lr: PositiveLR = 1e-3
    alpha: Beta = 0.99
    """Smoothing constant of the squared-gradient average."""
    eps: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-8
    momentum: Beta = 0.0
    centered: bool = False


class AdamOptim(OptimCommon):
    """Adam: momentum plus per-parameter RMS scaling, with bias correction."""

    kind: Literal["adam"] = "adam"
    lr: PositiveLR = 3e-4
    betas: tuple[Beta, Beta] = (0.9, 0.999)
    eps: Annotated[float, Field(gt=0.0, le=1.0)] = 1e-8


class AdamwOptim(AdamOptim):
    """Adam with decoupled weight decay."""

    kind: Literal["adamw"] = "adamw"  # type: ignore[assignment]
    weight_decay: Decay = 0.01


Optim = Annotated[SgdOptim | RmspropOptim | AdamOptim | AdamwOptim, Field(discriminator="kind")]


class ConstantSchedule(Section):
    """The learning rate stays at optim.lr."""

    kind: Literal["constant"] = "constant"


class PlateauSchedule(Section):
    """Multiply the learning rate by factor when the monitored metric stops improving."""

    kind: Literal["plateau"] = "plateau"
    factor: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5
    patience: Annotated[int, Field(ge=0, le=1000)] = 2
    """Validations without improvement before the rate drops."""
    monitor: Literal["val_loss", "val_acc", "train_loss"] = "val_loss"
    threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 1e-4
    """Relative change that counts as an improvement."""
    cooldown: Annotated[int, Field(ge=0, le=1000)] = 0
    """Validations to wait after a drop before counting again."""
    min_lr: MinLr = 1e-6


class CosineSchedule(Section):
    """Cosine decay from optim.lr to min_lr over the whole run, updated every step."""

    kind: Literal["cosine"] = "cosine"
    min_lr: MinLr = 0.0


class WarmupCosineSchedule(Section):
    """Linear warmup from warmup_start x lr, then cosine decay to min_lr."""

    kind: Literal["warmup_cosine"] = "warmup_cosine"
    warmup_epochs: Epochs = 1.0
    """Length of the warmup; fractions of an epoch are allowed. Shorter than the run."""
    warmup_start: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    min_lr: MinLr = 0.0


class CyclicSchedule(Section):
    """Cosine annealing with warm restarts (SGDR)."""

    kind: Literal["cyclic"] = "cyclic"
    cycle_epochs: Epochs = 2.0
    """Length of the first cycle."""
    cycle_mult: Annotated[float, Field(ge=1.0, le=10.0)] = 1.0
    """Each cycle is this many times longer than the previous one."""
    min_lr: MinLr = 0.0


class StepSchedule(Section):
    """Multiply the learning rate by gamma every step_epochs, or at the given milestones."""

    kind: Literal["step"] = "step"
    step_epochs: Annotated[int, Field(ge=1, le=100_000)] = 10
    milestones: list[Annotated[int, Field(ge=1)]] | None = None
    """Epochs after which the rate drops; overrides step_epochs."""
    gamma: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.1


class OneCycleSchedule(Section):
    """One-cycle: warm up to max_lr, then anneal far below the start."""

    kind: Literal["onecycle"] = "onecycle"
    max_lr: PositiveLR | None = None
    """Peak learning rate; defaults to optim.lr."""
    pct_start: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.3
    div_factor: Annotated[float, Field(ge=1.0, le=1e6)] = 25.0
    """The rate starts at max_lr / div_factor."""
    final_div_factor: Annotated[float, Field(ge=1.0, le=1e9)] = 1e4
    """The rate ends at the start rate / final_div_factor."""
    anneal: Literal["cos", "linear"] = "cos"


Schedule = Annotated[
    ConstantSchedule
    | PlateauSchedule
    | CosineSchedule
    | WarmupCosineSchedule
    | CyclicSchedule
    | StepSchedule
    | OneCycleSchedule,
    Field(discriminator="kind"),
]
