"""Keeping a run's work safe: what a checkpoint holds, saving it, resuming from it, and the
in-memory snapshot a non-finite loss rolls back to.

The checkpoint's layout is `engine.state` (model, optimizer, schedule, scaler, progress, RNG)
plus the entries of the parts that keep state across epochs (the meter, the epoch tracker) and
the run's identity (the resolved preset and its name). It changes only with `state.VERSION`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.meter import Meter
from tuitrain.engine.setup import Setup, Stats
from tuitrain.engine.state import (
    Progress,
    capture_state,
    detached_copy,
    model_mismatch,
    restore_state,
)
from tuitrain.engine.tracking import EpochTracker
from tuitrain.errors import UserError


@dataclass(frozen=True)
class ResumePoint:
    """A checkpoint to continue from: where it was read, and what it holds."""

    path: str
    state: dict[str, Any]
    fallbacks: tuple[ResumePoint, ...] = ()
    """The run's older readable checkpoints, newest first: tried in turn when this one does
    not fit the preset's model."""


class CheckpointSink(Protocol):
    """Where checkpoints go (a run directory). Returns the path written."""

    def save(self, state: dict[str, Any], reason: str, *, best: bool = False) -> str: ...


class Checkpointer:
    """Captures and restores the whole training state; saves it to the sink, if there is one."""

    def __init__(
        self,
        sink: CheckpointSink | None,
        setup: Setup,
        meter: Meter,
        tracker: EpochTracker,
        identity: dict[str, Any],
    ) -> None:
        self._sink = sink
        self._setup = setup
        self._meter = meter
        self._tracker = tracker
        self._identity = identity
        self._snapshot: dict[str, Any] | None = None
        self._saved: tuple[int, int] | None = None
        """(epoch, step) of the newest checkpoint written to last.pt."""

    @property
    def can_save(self) -> bool:
        return self._sink is not None

    def capture(self, progress: Progress) -> dict[str, Any]:
        """A reference to the live state (tensors shared with the model); copy it to keep it."""
        extra = {"meter": self._meter.state(), **self._tracker.state_dict(), **self._identity}
        return capture_state(self._setup, progress, extra)

    def restore(self, state: dict[str, Any]) -> Progress:
        """Load a captured state into the live objects; returns where the loop stands."""
        progress = restore_state(self._setup, state)
        self._meter.load(state["meter"])
        self._tracker.load_state_dict(state)
        return progress

    def restore_fitting(self, point: ResumePoint) -> tuple[ResumePoint, Progress, list[ev.Warned]]:
        """Restore the newest of `point` and its fallbacks that fits the model: that point,
        where the loop stands, and a warning for each checkpoint passed over. A UserError
        naming them all when none fits."""
        passed: list[ev.Warned] = []
        problems: list[str] = []
        for candidate in (point, *point.fallbacks):
            problem = model_mismatch(self._setup.model, candidate.state.get("model"))
            if not problem:
                try:
                    return candidate, self.restore(candidate.state), passed
                except (RuntimeError, ValueError, KeyError, TypeError) as exc:
                    problem = f"it does not load: {str(exc).splitlines()[0]}"
            problems.append(f"{candidate.path} ({problem})")
            message = f"skipped {candidate.path}: it does not fit the preset's model ({problem})"
            passed.append(ev.Warned(category="resume", message=message))
        source = self._setup.network.source_file
        raise UserError(
            f"no checkpoint of this run fits its preset's model: {'; '.join(problems)}",
            hint=f"the model's code in {source} changed since the checkpoints were written; "
            "restore it as it was when the run trained"
            if source is not None
            else "the checkpoints were damaged or written by another preset",
        )

    def take_snapshot(self, progress: Progress) -> None:
        """Remember the current state (on the CPU) as the one to roll back to."""
        self._snapshot = detached_copy(self.capture(progress))

    def roll_back(self) -> Progress:
        """Restore the latest snapshot; returns where the loop stands again."""
        if self._snapshot is None:
            raise RuntimeError("no snapshot to roll back to")
        return self.restore(self._snapshot)

    def save(
        self,
        progress: Progress,
        reason: str,
        *,
        best: bool = False,
        command: cmd.Command | None = None,
    ) -> ev.CheckpointSaved | ev.Warned:
        """Write a checkpoint: the event that says so, or a warning that it could not be."""
        if self._sink is None:
            raise RuntimeError("this run has no run directory to save to")
        started = time.monotonic()
        try:
            path = self._sink.save(self.capture(progress), reason, best=best)
        except OSError as exc:
            message = f"could not save the {reason} checkpoint ({exc}); {self._kept()}"
            return ev.Warned(category="checkpoint", message=message, step=progress.step)
        if not best:
            self._saved = (progress.epoch, progress.step)
        return ev.CheckpointSaved(
            step=progress.step,
            epoch=progress.epoch,
            path=path,
            reason=reason,
            seconds=time.monotonic() - started,
            source=command.source if command else "engine",
            cmd_id=command.id if command else None,
        )

    def _kept(self) -> str:
        if self._saved is None:
            return "any earlier one is kept"
        epoch, step = self._saved
        return f"the newest saved one holds epoch {epoch} (step {step})"


def saved_stats(state: dict[str, Any]) -> Stats:
    """The normalization a checkpoint was trained with (a resumed run must not recompute it)."""
    saved = state["stats"]
    return (tuple(saved["mean"]), tuple(saved["std"]))


def resumed_events(
    setup: Setup, path: str, progress: Progress, ranks: tuple[int, int] = (1, 1)
) -> list[ev.Event]:
    """What a resumed run says first: where it resumed, and whether exactly. `ranks`: how
    many processes trained up to the checkpoint, and how many go on from it."""
    exact = setup.data.exact_resume
    on_gpu = setup.runtime.device.type == "cuda"
    saved_ranks, ranks_now = ranks
    note = ""
    if not exact:
        note = "the streaming data path cannot replay augmentation exactly"
    elif on_gpu:
        note = "GPU kernels are not bit-reproducible; the run continues closely, not exactly"
    elif saved_ranks != ranks_now:
        note = (
            f"trained on {saved_ranks} device{'s' if saved_ranks != 1 else ''}, resumed on "
            f"{ranks_now}: the same batches, but each device's random draws start afresh, "
            "so the run continues closely, not exactly"
        )
    resumed = ev.RunResumed(
        checkpoint=path,
        step=progress.step,
        epoch=progress.epoch,
        exact=not note,
        note=note,
    )
    if not note:
        return [resumed]
    return [resumed, ev.Warned(category="resume", message=note, step=progress.step)]
