"""Finding runs by name, and the table `tuitrain runs` prints. Reads only status.json files."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.runs.files import STATUS
from tuitrain.runs.status import read_status
from tuitrain.words import duration, metric_value, paused_since

SHOWN_STATUS = {
    "starting": "running",
    "running": "running",
    "paused": "paused",
    "completed": "finished",
    "early_stopped": "finished",
    "stopped": "stopped",
    "interrupted": "interrupted",
    "unsaved": "unsaved",
    "failed": "failed",
}


@dataclass(frozen=True)
class RunSummary:
    path: Path
    status: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def state(self) -> str:
        return SHOWN_STATUS.get(str(self.status.get("status")), "unknown")

    @property
    def started(self) -> float:
        value = self.status.get("started")
        return float(value) if isinstance(value, (int, float)) else 0.0

    @property
    def live(self) -> bool:
        return self.state in ("running", "paused")


def list_runs(runs_dir: Path) -> list[RunSummary]:
    """Every run directory under runs_dir, oldest first."""
    if not runs_dir.is_dir():
        return []
    runs = [
        RunSummary(path=entry, status=read_status(entry))
        for entry in runs_dir.iterdir()
        if (entry / STATUS).is_file()
    ]
    return sorted(runs, key=lambda run: (run.started, run.name))


def format_table(runs: list[RunSummary]) -> str:
    header = ("RUN", "PRESET", "STATUS", "EPOCHS", "BEST", "DURATION", "STARTED", "MODEL")
    rows = [header, *(_row(run) for run in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _row(run: RunSummary) -> tuple[str, ...]:
    status = run.status
    if status.get("kind") == "lr_find":  # a range test: no epochs, a suggested rate
        epochs = "lr-find"
        suggested = status.get("suggested_lr")
        best_text = f"lr {suggested:.2g}" if isinstance(suggested, (int, float)) else "-"
    else:
        epochs = f"{status.get('epoch', 0)}/{status.get('epochs', '?')}"
        best = status.get("best_value")
        metric = str(status.get("best_metric") or "")
        known = isinstance(best, (int, float))
        best_text = f"{metric_value(metric, best)} {metric}" if known else "-"
    elapsed = status.get("elapsed_s")
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started)) if run.started else "-"
    return (
        run.name,
        str(status.get("preset_name", "?")),
        paused_since(status) if run.state == "paused" else run.state,
        epochs,
        best_text,
        duration(elapsed) if isinstance(elapsed, (int, float)) else "-",
        started,
        _model(status),
    )


def _model(status: dict[str, object]) -> str:
    """`torchvision resnet18 (11.2M)`: the network as the user knows it, and its size."""
    model, parameters = status.get("model"), status.get("parameters")
    if not isinstance(model, str) or not model:
        return "-"
    if isinstance(parameters, int):
        return f"{model} ({count(parameters)})"
    return model


def count(parameters: int) -> str:
    """1.2M, 35.1k, 812: a parameter count at a glance."""
    if parameters >= 1_000_000:
        return f"{parameters / 1e6:.1f}M"
    if parameters >= 1_000:
        return f"{parameters / 1e3:.1f}k"
    return str(parameters)
