"""The whole preset, and the rules that tie its sections together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, model_validator

from tuitrain.config.augment import Augment
from tuitrain.config.base import Section, rule_error
from tuitrain.config.data import Data, ShapesData, has_validation
from tuitrain.config.document import dotted
from tuitrain.config.model import CnnModel, Model
from tuitrain.config.optim import (
    AdamOptim,
    CyclicSchedule,
    Optim,
    PlateauSchedule,
    Schedule,
    SgdOptim,
    StepSchedule,
    WarmupCosineSchedule,
)
from tuitrain.config.train import MonitorSettings, Train


@dataclass(frozen=True)
class Advice:
    """A non-fatal remark about a preset, placed at a key."""

    loc: tuple[str | int, ...]
    message: str


class Preset(Section):
    """A training setup: data, model, optimizer, schedule, augmentation, loop and monitor."""

    description: Annotated[str, Field(max_length=200, pattern=r"^[^\n]*$")] = ""
    """One line shown by `tuitrain presets`."""
    extends: str | None = None
    """A bundled preset name or a path; this file then holds only what differs."""
    data: Data = ShapesData()
    model: Model = CnnModel()
    optim: Optim = SgdOptim()
    schedule: Schedule = PlateauSchedule()
    augment: Augment = Augment()
    train: Train = Train()
    monitor: MonitorSettings = MonitorSettings()

    @model_validator(mode="after")
    def _sections_agree(self, info: ValidationInfo) -> Preset:
        written = written_paths(info.context)
        _check_validation_needs(self, written)
        _check_schedule_fits_run(self, written)
        _check_precision_fits_device(self)
        _check_batch_splits(self, world_size(self, info.context))
        return self

    def best_monitor(self) -> str:
        """The metric that picks the best checkpoint, resolving 'auto'."""
        monitor = self.train.checkpoint.monitor
        if monitor != "auto":
            return monitor
        return "val_acc" if has_validation(self.data) else "train_acc"

    def advice(self) -> list[Advice]:
        """Remarks worth printing that do not make the preset invalid."""
        notes: list[Advice] = []
        size = self.data.batch_size
        if size & (size - 1):
            notes.append(
                Advice(
                    ("data", "batch_size"),
                    f"{size} is not a power of two; 64, 128 or 256 usually run faster on GPUs",
                )
            )
        if isinstance(self.optim, AdamOptim) and self.optim.lr > 0.01:
            notes.append(
                Advice(
                    ("optim", "lr"),
                    f"{self.optim.lr:g} is high for Adam; 3e-4 to 1e-3 is the usual range",
                )
            )
        notes.extend(self._schedule_advice())
        return notes

    def _schedule_advice(self) -> list[Advice]:
        """Schedule changes that fall after the last epoch never happen: likely a mistake,
        but a run extended on resume (`--epochs`) may yet reach them."""
        schedule, epochs = self.schedule, self.train.epochs
        if isinstance(schedule, StepSchedule) and schedule.milestones is not None:
            late = [m for m in schedule.milestones if m >= epochs]
            if late:
                where = ("schedule", "milestones")
                text = f"{late} at or after the last epoch ({epochs}): the rate never drops there"
                return [Advice(where, text)]
        elif isinstance(schedule, StepSchedule) and schedule.step_epochs >= epochs:
            text = f"{schedule.step_epochs} is the whole run ({epochs} epochs) or more: no step"
            return [Advice(("schedule", "step_epochs"), text)]
        elif isinstance(schedule, CyclicSchedule) and schedule.cycle_epochs > epochs:
            text = f"{schedule.cycle_epochs:g} is longer than the run ({epochs} epochs): no restart"
            return [Advice(("schedule", "cycle_epochs"), text)]
        return []


def written_paths(context: Any) -> frozenset[tuple[str | int, ...]]:
    """The key paths the user wrote (in the file named, or with --set), as the loader passes
    them: a rule broken by two values points at the one the user wrote, not at an inherited one."""
    written = context.get("written") if isinstance(context, dict) else None
    return written if isinstance(written, frozenset) else frozenset()


def _check_validation_needs(preset: Preset, written: frozenset[tuple[str | int, ...]]) -> None:
    if has_validation(preset.data):
        return
    wants: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(preset.schedule, PlateauSchedule) and preset.schedule.monitor.startswith("val"):
        wants.append((("schedule", "monitor"), preset.schedule.monitor))
    stopping = preset.train.early_stopping
    if stopping is not None and stopping.monitor.startswith("val"):
        wants.append((("train", "early_stopping", "monitor"), stopping.monitor))
    if preset.train.checkpoint.monitor.startswith("val"):
        wants.append((("train", "checkpoint", "monitor"), preset.train.checkpoint.monitor))
    if preset.train.val_every_steps is not None:
        wants.append((("train", "val_every_steps"), preset.train.val_every_steps))
    split = ("data", "val_split")
    if wants and split in written and split not in {loc for loc, _ in wants}:
        loc, value = wants[0]
        raise rule_error(
            split,
            0,  # the only value that leaves no validation data
            f"leaves no validation data, which {dotted(loc)} = {value!r} needs; set "
            "data.val_split above 0 (0.1 is usual) or monitor a train_ metric",
            "needs_validation",
        )
    if wants:
        loc, value = wants[0]
        raise rule_error(
            loc,
            value,
            "needs validation data, and data.val_split is 0; set data.val_split "
            "(0.1 is usual) or monitor a train_ metric",
            "needs_validation",
        )


def _check_schedule_fits_run(preset: Preset, written: frozenset[tuple[str | int, ...]]) -> None:
    schedule = preset.schedule
    epochs = preset.train.epochs
    if isinstance(schedule, WarmupCosineSchedule) and schedule.warmup_epochs >= epochs:
        if ("train", "epochs") in written and ("schedule", "warmup_epochs") not in written:
            raise rule_error(
                ("train", "epochs"),
                epochs,
                f"must be longer than the warmup (schedule.warmup_epochs is "
                f"{schedule.warmup_epochs:g})",
                "warmup_too_long",
            )
        raise rule_error(
            ("schedule", "warmup_epochs"),
            schedule.warmup_epochs,
            f"warmup must be shorter than the run (train.epochs is {epochs})",
            "warmup_too_long",
        )


def world_size(preset: Preset, context: Any) -> int:
    """How many ranks share each batch: torchrun's world size when the preset is loaded under
    it (passed as validation context), else train.devices."""
    if isinstance(context, dict) and isinstance(context.get("world_size"), int):
        return int(context["world_size"])
    return preset.train.devices


def _check_batch_splits(preset: Preset, ranks: int) -> None:
    """data.batch_size is the global batch: every rank must take an equal share of it."""
    size = preset.data.batch_size
    if ranks > 1 and size % ranks:
        lower, upper = size - size % ranks, size + ranks - size % ranks
        raise rule_error(
            ("data", "batch_size"),
            size,
            f"is the global batch and must divide among the {ranks} devices; "
            f"use {lower or upper} or {upper}",
            "batch_divides",
        )
    if preset.model.sync_bn and preset.train.device == "cpu" and ranks > 1:
        raise rule_error(
            ("model", "sync_bn"),
            True,
            "SyncBatchNorm runs on CUDA only; set model.sync_bn: false on CPU workers",
            "sync_bn_device",
        )


def _check_precision_fits_device(preset: Preset) -> None:
    if preset.train.precision == "fp16" and preset.train.device == "cpu":
        raise rule_error(
            ("train", "precision"),
            "fp16",
            "fp16 needs a CUDA device; use bf16 or fp32 on the CPU",
            "precision_device",
        )
