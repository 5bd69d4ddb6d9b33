"""Commands a user sends to a running trainer. They are queued and applied at step boundaries.

Every command names its `source` (a key press, `ctl`, a signal, the Python API) and carries an
id, so the event that reports it can be matched to it by whoever sent it.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True)
class Command:
    name: ClassVar[str] = "command"
    source: str = field(default="api", kw_only=True)
    id: str = field(default_factory=_new_id, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("source", "id")}
        return {"command": self.name, "args": data, "source": self.source, "id": self.id}


@dataclass(frozen=True)
class Pause(Command):
    name: ClassVar[str] = "pause"


@dataclass(frozen=True)
class Resume(Command):
    name: ClassVar[str] = "resume"


@dataclass(frozen=True)
class ScaleLR(Command):
    """Multiply the user's learning-rate scale (and so the current rate) by factor."""

    name: ClassVar[str] = "lr_scale"
    factor: float

    def __post_init__(self) -> None:
        _check_positive("factor", self.factor, upper=1e6)


@dataclass(frozen=True)
class SetLR(Command):
    """Set the current learning rate; the schedule's later values are scaled to match."""

    name: ClassVar[str] = "lr"
    value: float

    def __post_init__(self) -> None:
        _check_positive("value", self.value, upper=100.0)


@dataclass(frozen=True)
class Checkpoint(Command):
    name: ClassVar[str] = "checkpoint"


@dataclass(frozen=True)
class Validate(Command):
    name: ClassVar[str] = "validate"


@dataclass(frozen=True)
class Stop(Command):
    """Finish the current step, checkpoint, and end the run.

    `status` is 'stopped' for a user's request and 'interrupted' for a signal.
    """

    name: ClassVar[str] = "stop"
    status: str = "stopped"
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in ("stopped", "interrupted"):
            raise ValueError(f"status must be 'stopped' or 'interrupted', not {self.status!r}")
        if not isinstance(self.reason, str) or len(self.reason) > 200:
            raise ValueError("reason must be a string of at most 200 characters")


@dataclass(frozen=True)
class SaveOnSignal(Command):
    """Checkpoint and carry on (a cluster's pre-emption warning, SIGUSR1)."""

    name: ClassVar[str] = "save_on_signal"


COMMAND_TYPES: dict[str, type[Command]] = {
    cls.name: cls
    for cls in (Pause, Resume, ScaleLR, SetLR, Checkpoint, Validate, Stop, SaveOnSignal)
}


def _check_positive(key: str, value: object, upper: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number, not {value!r}")
    if not math.isfinite(value) or not 0 < value <= upper:
        raise ValueError(f"{key} must be a finite number in (0, {upper:g}], not {value!r}")


def command_from_dict(data: dict[str, Any]) -> Command:
    """Build a command from its wire form, raising ValueError on anything malformed."""
    if not isinstance(data, dict):
        raise ValueError("a command must be a JSON object")
    name = data.get("command")
    cls = COMMAND_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown command {name!r}; known: {', '.join(sorted(COMMAND_TYPES))}")
    args = data.get("args")
    args = {} if args is None else args
    if not isinstance(args, dict):
        raise ValueError("args must be a JSON object")
    extra = {}
    for key in ("source", "id"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str) or not 0 < len(value) <= 64:
                raise ValueError(f"{key} must be a short string")
            extra[key] = value
    try:
        return cls(**args, **extra)
    except TypeError as exc:
        raise ValueError(f"bad arguments for {name}: {exc}") from None
