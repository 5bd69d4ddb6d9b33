"""Finding runs by name, and the table `tuitrain runs` prints. Reads only status.json files."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.errors import UserError
from tuitrain.headless import duration, percent
from tuitrain.runs.status import STATUS_FILE, read_status

SHOWN_STATUS = {
    "starting": "running",
    "running": "running",
    "paused": "paused",
    "completed": "finished",
    "early_stopped": "finished",
    "stopped": "stopped",
    "interrupted": "interrupted",
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
        if (entry / STATUS_FILE).is_file()
    ]
    return sorted(runs, key=lambda run: (run.started, run.name))


def resolve_run(ref: str, runs_dir: Path) -> Path:
    """A run directory from a path, a name under runs_dir, or a unique prefix of a name."""
    path = Path(ref).expanduser()
    if (path / STATUS_FILE).is_file() or (path / "events.jsonl").is_file():
        return path
    candidate = runs_dir / ref
    if candidate.is_dir():
        return candidate
    matches = [run.path for run in list_runs(runs_dir) if run.name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(
            f"no run {ref!r} (neither a run directory nor a run in {runs_dir})",
            hint="tuitrain runs lists them",
        )
    names = ", ".join(m.name for m in matches[:8])
    raise UserError(f"{ref!r} matches {len(matches)} runs: {names}", hint="give more of the name")


def newest_live_run(runs_dir: Path) -> Path | None:
    live = [run for run in list_runs(runs_dir) if run.live]
    return live[-1].path if live else None


def format_table(runs: list[RunSummary]) -> str:
    header = ("RUN", "PRESET", "STATUS", "EPOCHS", "BEST", "DURATION", "STARTED")
    rows = [header, *(_row(run) for run in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _row(run: RunSummary) -> tuple[str, ...]:
    status = run.status
    epochs = f"{status.get('epoch', 0)}/{status.get('epochs', '?')}"
    best = status.get("best_value")
    metric = str(status.get("best_metric") or "")
    if isinstance(best, (int, float)):
        shown = percent(best) if metric.endswith("acc") else f"{best:.4f}"
        best_text = f"{shown} {metric}"
    else:
        best_text = "-"
    elapsed = status.get("elapsed_s")
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started)) if run.started else "-"
    return (
        run.name,
        str(status.get("preset_name", "?")),
        run.state,
        epochs,
        best_text,
        duration(elapsed) if isinstance(elapsed, (int, float)) else "-",
        started,
    )
