"""A study directory: the plan (every variant x seed), where each run lives, and what is left.

```
studies/<stamp>-<study>/
  study.yaml            the study file as it was given
  plan.json             variants, seeds, target, claims, and each planned run's directory
  presets/<variant>.yaml  each variant's resolved preset (what its runs train)
  runs/<stamp>-<variant>-s<seed>/  ordinary run directories (view, compare, export, resume)
  logs/<variant>-s<seed>.log       each run's own output
  results.md, results.csv, runs.csv  the table, rewritten as runs finish
```
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tuitrain.errors import UserError
from tuitrain.runs.atomic import atomic_write_text
from tuitrain.runs.files import CHECKPOINTS
from tuitrain.runs.status import LIVE, read_status

PLAN = "plan.json"
RESULTS_MD = "results.md"
RESULTS_CSV = "results.csv"
RUNS_CSV = "runs.csv"
DONE = frozenset({"completed", "early_stopped", "failed"})
"""Run states a resumed study leaves as they are: the run has its result (a failure is one)."""
_STAMP = re.compile(r"^\d{8}-\d{6}-")


@dataclass
class PlannedRun:
    id: str
    """`<variant>-s<seed>`: the run's name, unique in the study."""
    variant: str
    seed: int
    dir: str | None = None
    """The run directory, relative to the study directory, once the run has created it."""


@dataclass
class Plan:
    study: str
    description: str
    target_acc: float | None
    seeds: list[int]
    variants: list[str]
    claims: list[str]
    runs: list[PlannedRun]
    created: float

    def run_path(self, root: Path, run: PlannedRun) -> Path | None:
        return root / run.dir if run.dir else None


def run_id(variant: str, seed: int) -> str:
    return f"{variant}-s{seed}"


class StudyDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, studies_dir: Path, name: str) -> StudyDirectory:
        """`<stamp>-<name>`, created exclusively (a `-2` suffix for a second in one second)."""
        from tuitrain.runs.rundir import safe_name

        base = f"{time.strftime('%Y%m%d-%H%M%S')}-{safe_name(name)}"
        try:
            studies_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create {studies_dir}: {exc.strerror}") from None
        for attempt in range(1, 1000):
            path = studies_dir.absolute() / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            for folder in ("presets", "runs", "logs"):
                (path / folder).mkdir()
            return cls(path)
        raise UserError(f"too many studies named {base} in {studies_dir}")

    @classmethod
    def open(cls, path: Path) -> StudyDirectory:
        if not (path / PLAN).is_file():
            raise UserError(
                f"{path} is not a study directory (it has no {PLAN})",
                hint="a study directory is what `tuitrain study NAME` created under ./studies",
            )
        return cls(path.absolute())

    @property
    def runs_dir(self) -> Path:
        return self.path / "runs"

    def preset_path(self, variant: str) -> Path:
        return self.path / "presets" / f"{variant}.yaml"

    def log_path(self, run: PlannedRun) -> Path:
        return self.path / "logs" / f"{run.id}.log"

    def write_plan(self, plan: Plan) -> None:
        atomic_write_text(self.path / PLAN, json.dumps(asdict(plan), indent=2) + "\n")

    def read_plan(self) -> Plan:
        try:
            raw: dict[str, Any] = json.loads((self.path / PLAN).read_text(encoding="utf-8"))
            runs = [PlannedRun(**entry) for entry in raw.pop("runs")]
            return Plan(**raw, runs=runs)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise UserError(f"{self.path / PLAN} cannot be read: {exc}") from None

    def find_run_dir(self, run: PlannedRun, known: set[str]) -> str | None:
        """The directory `tuitrain run --name <id>` created for run, not one already known."""
        from tuitrain.runs.rundir import safe_name

        wanted = re.compile(rf"^{re.escape(safe_name(run.id))}(-\d+)?$")
        try:
            names = sorted(entry.name for entry in self.runs_dir.iterdir() if entry.is_dir())
        except OSError:
            return None
        for name in reversed(names):
            relative = f"runs/{name}"
            if relative not in known and wanted.match(_STAMP.sub("", name)):
                return relative
        return None


def run_state(root: Path, run: PlannedRun) -> str:
    """`missing` (not started, or nothing to resume from), `done`, `live`, or `resumable`."""
    if run.dir is None:
        return "missing"
    path = root / run.dir
    status = read_status(path).get("status", "unknown")
    if status in DONE:
        return "done"
    if status in LIVE:
        return "live"
    if not any((path / CHECKPOINTS).glob("*.pt")):
        return "missing"  # killed before its first checkpoint: it starts again
    return "resumable"
