"""Every event the trainer emits: small, immutable, and one JSON line each.

This module is the whole contract between the engine and its consumers (the run log, the
monitor, the headless printer, control clients). `docs/events.md` documents the schema; other
tools read it, so fields are only ever added, never renamed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from tuitrain.textsafe import valid_text

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Event:
    """Base of all events. `time` is wall-clock seconds since the epoch."""

    type: ClassVar[str] = "event"
    # Step events may be coalesced by consumers that fall behind; all others must be kept.
    droppable: ClassVar[bool] = False

    time: float = field(default_factory=time.time, kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN and infinities become None, since JSON cannot hold them, and
        the undecodable bytes of a file name become \\xNN text (see tuitrain.textsafe)."""
        return {"type": self.type, **_finite(dataclasses.asdict(self))}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False, default=str)


@dataclass(frozen=True)
class Log(Event):
    """A line of information about what the engine is doing (preparing data, building...)."""

    type: ClassVar[str] = "log"
    message: str
    level: str = "info"


@dataclass(frozen=True)
class RunStarted(Event):
    """Training is about to take its first step (or its first step after a resume)."""

    type: ClassVar[str] = "run_started"
    preset_name: str
    preset: dict[str, Any]
    run_dir: str | None
    device: str
    device_name: str
    precision: str
    epochs: int
    steps_per_epoch: int
    train_size: int
    val_size: int
    num_classes: int
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    parameters: int
    lr: float
    loader: str
    versions: dict[str, str]
    resumed: bool = False
    step: int = 0
    epoch: int = 0
    world_size: int = 1
    """Processes training the run together (data-parallel ranks); `device` is rank 0's."""
    class_names: tuple[str, ...] = ()
    model: str = ""
    """The network as the user knows it: `cnn`, `torchvision resnet18`, `python nets.py:Net`."""
    model_notes: tuple[str, ...] = ()
    """What was done to it: pretrained weights, a replaced head, norm surgery, repeated channels."""
    norm_replaced: int | None = None
    """BatchNorm2d layers the model.norm surgery replaced (None when it is unset)."""
    user_files: tuple[str, ...] = ()
    """Absolute paths of the user's files the preset imports (model.target, data.target)."""


@dataclass(frozen=True)
class StepProgress(Event):
    """Progress within an epoch, sent at a bounded rate (train.report)."""

    type: ClassVar[str] = "step"
    droppable: ClassVar[bool] = True
    step: int
    """Global optimizer steps taken so far."""
    epoch: int
    """1-based epoch in progress."""
    batch: int
    """Batches done in this epoch."""
    batches: int
    loss: float
    """Mean training loss over the steps since the previous report."""
    acc: float
    """Training accuracy over the steps since the previous report."""
    lr: float
    images_per_s: float
    elapsed_s: float
    """Training time so far, pauses excluded."""
    eta_epoch_s: float | None
    eta_run_s: float | None
    memory_mb: float | None = None
    """Device memory in use (CUDA only)."""
    rank_memory_mb: tuple[float, ...] = ()
    """With several ranks on CUDA, each rank's device memory in use, by rank."""


@dataclass(frozen=True)
class Validated(Event):
    """A validation pass finished (at epoch end, every N steps, or on request)."""

    type: ClassVar[str] = "validated"
    step: int
    epoch: float
    """Epochs completed, fractional when validating mid-epoch."""
    val_loss: float
    val_acc: float
    seconds: float
    source: str = "schedule"
    cmd_id: str | None = None


@dataclass(frozen=True)
class EpochEnded(Event):
    """An epoch (and its validation, when due) is over."""

    type: ClassVar[str] = "epoch"
    epoch: int
    epochs: int
    step: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    lr: float
    epoch_s: float
    images_per_s: float
    elapsed_s: float
    eta_run_s: float | None
    best_metric: str
    best_value: float | None
    is_best: bool
    fit: str
    """'ok', 'overfitting', 'underfitting' or 'diverging', from the curves so far."""
    train_val_gap: float | None
    """Training minus validation accuracy."""


@dataclass(frozen=True)
class LRChanged(Event):
    """The learning rate was changed by the user, a roll-back or a discrete schedule decision.

    Continuous schedules (cosine, warmup, cyclic, one-cycle) move the rate every step; their
    value travels in StepProgress.lr rather than here.
    """

    type: ClassVar[str] = "lr"
    step: int
    lr: float
    previous: float
    scale: float
    """The user's multiplier on the schedule, after this change."""
    source: str
    """'schedule', 'nan', or the origin of a user command ('key', 'ctl', 'api', ...)."""
    reason: str = ""
    cmd_id: str | None = None


@dataclass(frozen=True)
class Paused(Event):
    type: ClassVar[str] = "paused"
    step: int
    source: str
    cmd_id: str | None = None


@dataclass(frozen=True)
class Resumed(Event):
    type: ClassVar[str] = "resumed"
    step: int
    source: str
    paused_s: float
    cmd_id: str | None = None


@dataclass(frozen=True)
class CheckpointSaved(Event):
    type: ClassVar[str] = "checkpoint"
    step: int
    epoch: int
    path: str
    reason: str
    """'epoch', 'best', 'user', 'signal', 'stop', 'final'."""
    seconds: float
    source: str = "engine"
    cmd_id: str | None = None


@dataclass(frozen=True)
class Warned(Event):
    """Something the user should look at; training goes on."""

    type: ClassVar[str] = "warning"
    category: str
    """'overfitting', 'underfitting', 'nan', 'resume', 'data', 'checkpoint', 'performance',
    and for layer health 'vanishing', 'exploding', 'dead', 'update_ratio'."""
    message: str
    step: int | None = None
    layer: str | None = None
    """The layer a layer-health warning is about (its name in the model)."""


@dataclass(frozen=True)
class CommandRejected(Event):
    """A command that could not be applied, and why."""

    type: ClassVar[str] = "rejected"
    command: str
    reason: str
    source: str
    step: int | None = None
    cmd_id: str | None = None


@dataclass(frozen=True)
class RunResumed(Event):
    """The run continues from a checkpoint in its run directory."""

    type: ClassVar[str] = "run_resumed"
    checkpoint: str
    step: int
    epoch: int
    exact: bool
    note: str = ""


@dataclass(frozen=True)
class Finished(Event):
    """The loop ended without error: all epochs done, early stopping, or a stop request."""

    type: ClassVar[str] = "finished"
    status: str
    """'completed', 'early_stopped', 'stopped' (by the user) or 'interrupted' (by a signal)."""
    step: int
    epoch: int
    elapsed_s: float
    best_metric: str
    best_value: float | None
    reason: str = ""
    source: str = "engine"
    cmd_id: str | None = None
    unsaved: str = ""
    """What the run could not save at its end (its final, stop or signal checkpoint): empty
    when everything was saved. The process then exits with 6, not 0."""


@dataclass(frozen=True)
class Failed(Event):
    """The loop ended with an error."""

    type: ClassVar[str] = "failed"
    error: str
    """Exception class name, or 'nan', 'out_of_memory'."""
    message: str
    step: int | None = None
    traceback: str = ""


@dataclass(frozen=True)
class SamplesSaved(Event):
    """Pictures of the run were saved in its directory: after each validation, its most
    confident mistakes and the last (augmented) training batch."""

    type: ClassVar[str] = "samples"
    kind: str
    """'val_mistakes' or 'train_batch'."""
    path: str
    """The .npz file, relative to the run directory (a .png of the same name beside it)."""
    step: int
    epoch: float
    """Where in training: 3.0 is the end of the third epoch, 2.5 halfway through it."""
    shown: int
    """Pictures in the file."""
    total: int
    """Mistakes the validation made in all; for a training batch, the batch's size."""


@dataclass(frozen=True)
class LayerReading:
    """One conv or linear layer on a sampled step (part of a `layers` event)."""

    name: str
    """The layer's name in the model, as named_modules() gives it ('stages.0.0.conv')."""
    kind: str
    """'conv' or 'linear'."""
    out_mean: float
    out_std: float
    """Mean and standard deviation of the layer's output over the batch."""
    zeros: float | None
    """Fraction of the following activation's outputs that are zero (negative, for the
    leaky kinds); None when no activation follows the layer."""
    dead: float | None
    """Fraction of its units (channels) whose activation was zero for the whole batch."""
    grad_norm: float
    """L2 norm of the gradient of the layer's weight, before any clipping."""
    weight_norm: float
    """L2 norm of the weight after the step."""
    update_ratio: float
    """Norm of the step's change to the weight over the weight's norm before it."""


@dataclass(frozen=True)
class LayersSampled(Event):
    """Layer health on one sampled step (every train.diagnose.layers_every steps), read back
    with the next progress report."""

    type: ClassVar[str] = "layers"
    step: int
    """The step that was sampled."""
    layers: list[LayerReading]
    """In the order the layers ran in the forward pass (input side first)."""


@dataclass(frozen=True)
class ClassesCounted(Event):
    """Per-class results of a validation: the confusion matrix, counted on the device."""

    type: ClassVar[str] = "classes"
    step: int
    epoch: float
    """As in the `validated` event this one follows."""
    names: list[str]
    matrix: list[list[int]]
    """matrix[true][predicted]: how many validation images of class `true` were predicted as
    `predicted`. Rows sum to the images of each class."""
    acc: list[float | None]
    """Per-class accuracy (the diagonal over the row sums); None for a class with no images."""

    def confused_pairs(self, limit: int) -> list[tuple[int, int, int]]:
        """(true, predicted, count) of the most frequent mistakes, most first."""
        pairs = [
            (count, t, p)
            for t, row in enumerate(self.matrix)
            for p, count in enumerate(row)
            if t != p and count > 0
        ]
        pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))
        return [(t, p, count) for count, t, p in pairs[:limit]]

    def worst_classes(self) -> list[int]:
        """Class indices, lowest accuracy first (classes with no images last)."""
        return sorted(
            range(len(self.names)),
            key=lambda c: (self.acc[c] is None, self.acc[c] or 0.0, c),
        )


def class_accuracies(matrix: list[list[int]]) -> list[float | None]:
    """The diagonal of a confusion matrix over its row sums."""
    return [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, os.PathLike):
        return valid_text(os.fspath(value))
    if isinstance(value, dict):
        return {valid_text(k) if isinstance(k, str) else k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        Log,
        RunStarted,
        StepProgress,
        Validated,
        EpochEnded,
        LRChanged,
        Paused,
        Resumed,
        CheckpointSaved,
        Warned,
        CommandRejected,
        RunResumed,
        Finished,
        Failed,
        SamplesSaved,
        LayersSampled,
        ClassesCounted,
    )
}

TERMINAL_TYPES = frozenset({Finished.type, Failed.type})


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form; unknown fields (from newer writers) are ignored."""
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown event type {kind!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    if cls is RunStarted and isinstance(values.get("image_shape"), list):
        values["image_shape"] = tuple(values["image_shape"])
    for key in ("mean", "std"):
        if cls is RunStarted and isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    if cls is StepProgress and isinstance(values.get("rank_memory_mb"), list):
        values["rank_memory_mb"] = tuple(values["rank_memory_mb"])
    if cls is LayersSampled and isinstance(values.get("layers"), list):
        known = {f.name for f in dataclasses.fields(LayerReading)}
        values["layers"] = [
            LayerReading(**{k: v for k, v in layer.items() if k in known})
            for layer in values["layers"]
        ]
    return cls(**values)


def event_from_json(line: str) -> Event:
    return event_from_dict(json.loads(line))
