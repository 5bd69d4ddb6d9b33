"""A range test's run directory: the preset, the curve as CSV, and status.json of kind lr_find,
so `tuitrain runs` lists it beside the training runs."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from tuitrain.lrfind.suggest import Suggestion, smooth
from tuitrain.lrfind.sweep import Sweep, SweepSettings
from tuitrain.runs.atomic import atomic_write_text
from tuitrain.runs.files import LR_FIND
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.status import write_status

KIND = "lr_find"


def save_sweep(
    run: RunDirectory,
    *,
    preset_name: str,
    settings: SweepSettings,
    sweep: Sweep,
    suggestions: dict[str, Suggestion],
    rule: str,
    started: float,
) -> Path:
    """Write the curve and the status; returns the CSV's path."""
    path = run.path / LR_FIND
    atomic_write_text(path, curve_csv(sweep))
    write_status(
        run.path,
        {
            "kind": KIND,
            "status": "completed",
            "preset_name": preset_name,
            "started": started,
            "updated": time.time(),
            "elapsed_s": sweep.seconds,
            "device": sweep.device,
            "steps": len(sweep.lrs),
            "planned_steps": settings.steps,
            "start_lr": settings.start_lr,
            "end_lr": settings.end_lr,
            "stop_factor": settings.stop_factor,
            "stopped_early": sweep.stopped_early,
            "rule": rule,
            "suggested_lr": suggestions[rule].lr,
            "suggestions": {name: s.lr for name, s in suggestions.items()},
        },
    )
    return path


def curve_csv(sweep: Sweep) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "lr", "loss", "smoothed_loss"])
    smoothed = smooth(sweep.losses, sweep.beta)
    for i, (lr, loss, level) in enumerate(zip(sweep.lrs, sweep.losses, smoothed, strict=True)):
        writer.writerow([i + 1, f"{lr:.6g}", f"{loss:.6g}", f"{level:.6g}"])
    return out.getvalue()
