"""Finding a run from what a user types: a path, a directory name, or the start of one."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from tuitrain.errors import UserError
from tuitrain.runs.files import EVENTS, STATUS
from tuitrain.runs.status import LIVE, read_status

_STAMP = re.compile(r"^\d{8}-\d{6}-")
_RUN_FILES = (STATUS, EVENTS)
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


def resolve_run(run: str, runs_dir: Path, *, note: Callable[[str], None] | None = None) -> Path:
    """The absolute run directory `run` names (absolute, so that what a resumed run logs and
    the monitor shows reads the same as a new run's, from any folder): see find_run."""
    return find_run(run, runs_dir, note=note).absolute()


def find_run(run: str, runs_dir: Path, *, note: Callable[[str], None] | None = None) -> Path:
    """The run directory `run` names: a path to one, a directory in `runs_dir`, a run's name
    after its date stamp (`default`), or a unique prefix of either.

    A name that is exactly the part after the date stamp wins over longer names it is a
    prefix of (`termtest` is not `termtest2`). Where it names several runs (two runs of one
    preset), the live one is meant if only one is live, else the newest, and `note` is told
    which ones there were. A prefix that matches several runs is refused, listing them."""
    given = Path(run).expanduser()
    if is_run_dir(given):
        return given
    if "/" in run:
        raise UserError(f"{run} is not a run directory")
    if is_run_dir(runs_dir / run):
        return runs_dir / run
    matches = [path for path in _runs(runs_dir) if _matches(path.name, run)]
    if not matches:
        raise UserError(f"no run named {run!r} in {where(runs_dir)}")
    named = [path for path in matches if _name_of(path.name) == run] or matches
    if len(named) == 1:
        return named[0]
    statuses = {path: read_status(path).get("status", "unknown") for path in matches}
    live = [path for path in named if statuses[path] in LIVE]
    if len(live) == 1:
        return live[0]
    if named is not matches:
        newest = named[-1]  # names sort by their date stamp
        others = ", ".join(path.name for path in named[:-1][-_LISTED:])
        (note or _to_stderr)(
            f"{run!r} names {len(named)} runs in {runs_dir}; taking the newest, {newest.name} "
            f"(also: {others})"
        )
        return newest
    listing = "\n".join(f"  {p.name} ({statuses[p]})" for p in matches[:_LISTED])
    more = f"\n  ... and {len(matches) - _LISTED} more" if len(matches) > _LISTED else ""
    raise UserError(
        f"{run!r} matches {len(matches)} runs in {runs_dir}; say which:\n{listing}{more}"
    )


def runs_named(run: str, runs_dir: Path) -> list[Path]:
    """Every run `run` names: all the runs whose name after the date stamp is `run` (oldest
    first, for `compare default`), else the one run resolve_run finds."""
    if "/" not in run and not is_run_dir(Path(run).expanduser()):
        named = [path for path in _runs(runs_dir) if _name_of(path.name) == run]
        if len(named) > 1:
            return [path.absolute() for path in named]
    return [resolve_run(run, runs_dir)]


def newest_run(runs_dir: Path) -> Path | None:
    """The run started last, whatever its state, for `tuitrain view` without an argument."""
    runs = _runs(runs_dir)
    return max(runs, key=_started) if runs else None


def _started(path: Path) -> float:
    started = read_status(path).get("started")
    return float(started) if isinstance(started, (int, float)) else path.stat().st_mtime


def _to_stderr(message: str) -> None:
    print(f"tuitrain: {message}", file=sys.stderr)


def newest_live_run(runs_dir: Path) -> Path | None:
    """The live run (running, paused, or still starting, with its process alive) started
    last, for `tuitrain attach` without an argument; None when there is none."""
    live = [path for path in _runs(runs_dir) if read_status(path).get("status") in LIVE]
    return max(live, key=_started) if live else None


def _runs(runs_dir: Path) -> list[Path]:
    try:
        return sorted(path for path in runs_dir.iterdir() if is_run_dir(path))
    except OSError:
        return []


def _name_of(directory: str) -> str:
    """A run directory's name without its date stamp: `default` for 20261127-181500-default."""
    return _STAMP.sub("", directory)


def _matches(name: str, prefix: str) -> bool:
    return name.startswith(prefix) or _name_of(name).startswith(prefix)
