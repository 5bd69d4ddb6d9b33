"""Shared pieces of the end-to-end tests: tiny run settings, reading a run directory, polling."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from tuitrain.runs.checkpoint import load_checkpoint

REPO = Path(__file__).resolve().parents[2]
# The console script beside this interpreter (the virtual environment's), else the one on PATH.
_BESIDE = Path(sys.executable).with_name("tuitrain")
TUITRAIN = str(_BESIDE) if _BESIDE.exists() else shutil.which("tuitrain") or "tuitrain"

T = TypeVar("T")

TINY = {
    "data.size": "200",  # 160 training images: 10 steps of 16 per epoch
    "data.image_size": "16",
    "data.batch_size": "16",
    "model.widths": "[8,16]",
    "train.device": "cpu",
    "train.report.seconds": "0.01",
}


def run_argv(runs_dir: Path, *, name: str = "e2e", epochs: int = 2, **settings: Any) -> list[str]:
    """`run default` with the tiny settings; more as keywords, `data__size=100` for data.size."""
    sets = {**TINY, "train.epochs": str(epochs)}
    sets.update({key.replace("__", "."): str(value) for key, value in settings.items()})
    argv = ["run", "default", "--runs-dir", str(runs_dir), "--name", name]
    for key, value in sets.items():
        argv += ["--set", f"{key}={value}"]
    return argv


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    what: str,
    explain: Callable[[], str] = str,
    every: float = 0.02,
) -> T:
    """Poll `condition` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{explain()}")
        time.sleep(every)


def run_dirs(runs_dir: Path) -> list[Path]:
    return sorted(p for p in runs_dir.iterdir() if p.is_dir()) if runs_dir.is_dir() else []


def the_run_dir(runs_dir: Path, timeout: float = 30.0) -> Path:
    """The single run directory under runs_dir, once the run has created it."""
    found = wait_until(lambda: run_dirs(runs_dir), timeout, f"a run directory in {runs_dir}")
    assert len(found) == 1, found
    return found[0]


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """events.jsonl as dicts: every complete line must parse; a torn last line is left out."""
    try:
        data = (run_dir / "events.jsonl").read_bytes()
    except FileNotFoundError:
        return []
    complete = data[: data.rfind(b"\n") + 1]
    return [json.loads(line) for line in complete.splitlines()]


def of_type(events: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == kind]


def wait_for_event(
    run_dir: Path,
    found: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 30.0,
    explain: Callable[[], str] = str,
) -> dict[str, Any]:
    def seen() -> dict[str, Any] | None:
        return next((event for event in read_events(run_dir) if found(event)), None)

    return wait_until(seen, timeout, what, explain)


def wait_for_step(run_dir: Path, step: int, explain: Callable[[], str] = str) -> dict[str, Any]:
    return wait_for_event(
        run_dir,
        lambda e: e["type"] == "step" and e["step"] >= step,
        f"training step {step} in {run_dir.name}",
        explain=explain,
    )


def last_step(run_dir: Path) -> int:
    steps = [e["step"] for e in read_events(run_dir) if e["type"] == "step"]
    return max(steps, default=0)


def final_files_intact(run_dir: Path) -> list[str]:
    """Problems with the files under their final names (empty when every one reads whole)."""
    problems = []
    try:
        json.loads((run_dir / "status.json").read_text())
    except (OSError, ValueError) as exc:
        problems.append(f"status.json: {exc}")
    for path in sorted((run_dir / "checkpoints").glob("*.pt")):
        try:
            load_checkpoint(path)
        except Exception as exc:  # any failure to load is the finding
            problems.append(f"{path.name}: {exc}")
    events = (run_dir / "events.jsonl").read_bytes()
    for number, line in enumerate(events.splitlines(keepends=True), 1):
        torn_last = not line.endswith(b"\n")
        try:
            json.loads(line)
        except ValueError:
            if not torn_last:
                problems.append(f"events.jsonl line {number} does not parse: {line[:80]!r}")
    for number, row in enumerate((run_dir / "metrics.csv").read_text().splitlines(), 1):
        if row.count(",") != 9:
            problems.append(f"metrics.csv row {number} is not 10 columns: {row!r}")
    return problems


def tuitrain(
    *args: str, cwd: Path = REPO, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """The real console script, for the commands that do not import torch (runs, ctl)."""
    return subprocess.run(
        [TUITRAIN, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def listed_state(runs_dir: Path, run_dir: Path) -> str:
    """The state `tuitrain runs --json` shows for run_dir."""
    result = tuitrain("runs", "--json", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    states = {Path(row["run"]).name: row["state"] for row in rows}
    return states[run_dir.name]
