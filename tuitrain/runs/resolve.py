"""Finding a run from what a user types: a path, a directory name, or the start of one."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tuitrain.errors import UserError
from tuitrain.runs.status import LIVE, read_status

_STAMP = re.compile(r"^\d{8}-\d{6}-")
_RUN_FILES = ("status.json", "events.jsonl")
_LISTED = 20


RUNS_DIR_ENV = "TUITRAIN_RUNS_DIR"


def default_runs_dir() -> Path:
    """Where runs live unless --runs-dir says: $TUITRAIN_RUNS_DIR, else ./runs."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def where(runs_dir: Path) -> str:
    """The runs folder as a message names it: absolute, with how to look elsewhere (a new
    SSH session starts in another folder than the batch job did)."""
    return f"{runs_dir.absolute()} (look elsewhere with --runs-dir DIR or {RUNS_DIR_ENV})"


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / name).exists() for name in _RUN_FILES)


def resolve_run(run: str, runs_dir: Path) -> Path:
    """The run directory `run` names: a path to one, a directory in `runs_dir`, or a unique
    prefix of one (of the whole name, or of the part after its date stamp). When a prefix
    matches several runs but only one of them is live, that one is meant."""
    given = Path(run).expanduser()
    if is_run_dir(given):
        return given
    if "/" in run:
        raise UserError(f"{run} is not a run directory")
    if is_run_dir(runs_dir / run):
        return runs_dir / run
    matches = [path for path in _runs(runs_dir) if _matches(path.name, run)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError(f"no run named {run!r} in {where(runs_dir)}")
    statuses = {path: read_status(path).get("status", "unknown") for path in matches}
    live = [path for path in matches if statuses[path] in LIVE]
    if len(live) == 1:
        return live[0]
    listing = "\n".join(f"  {p.name} ({statuses[p]})" for p in matches[:_LISTED])
    more = f"\n  ... and {len(matches) - _LISTED} more" if len(matches) > _LISTED else ""
    raise UserError(
        f"{run!r} matches {len(matches)} runs in {runs_dir}; say which:\n{listing}{more}"
    )


def newest_live_run(runs_dir: Path) -> Path | None:
    """The live run (running, paused, or still starting, with its process alive) started
    last, for `tuitrain attach` without an argument; None when there is none."""
    best: tuple[float, Path] | None = None
    for path in _runs(runs_dir):
        status = read_status(path)
        if status.get("status") not in LIVE:
            continue
        started = status.get("started")
        key = float(started) if isinstance(started, (int, float)) else path.stat().st_mtime
        if best is None or key > best[0]:
            best = (key, path)
    return best[1] if best else None


def _runs(runs_dir: Path) -> list[Path]:
    try:
        return sorted(path for path in runs_dir.iterdir() if is_run_dir(path))
    except OSError:
        return []


def _matches(name: str, prefix: str) -> bool:
    return name.startswith(prefix) or _STAMP.sub("", name).startswith(prefix)
