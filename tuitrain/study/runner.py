"""Running a study's plan: each run is an ordinary `tuitrain run` (or `resume`) in a process of
its own, N at a time, each with its own device or share of the CPU threads.

Processes keep a failing or crashing run from taking the study down, give every run its own
run directory and control channel (so `tuitrain attach` reaches it), and make `--parallel`
and clean stops plain: a stop is the same signal forwarded to every live run, which finishes
its step, saves a checkpoint and exits; `tuitrain study --resume` picks up from there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Protocol

from tuitrain.study.plan import Plan, PlannedRun, StudyDirectory, run_state
from tuitrain.study.results import RunResult, read_rows, result_of


@dataclass(frozen=True)
class RunnerOptions:
    parallel: int = 1
    devices: tuple[str, ...] = ()
    """One device per slot, in turn (cuda:0,cuda:1); empty: each preset's own device."""
    log_every: float = 60.0


@dataclass
class Active:
    run: PlannedRun
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    slot: int
    started: float = field(default_factory=time.monotonic)
    known: set[str] = field(default_factory=set)
    """Run directories that existed when it started (its own is the new one)."""


class Listener(Protocol):
    """What a study tells its user interface (headless lines, or the monitor)."""

    def run_started(self, run: PlannedRun, run_dir: Path | None, resumed: bool) -> None: ...

    def run_dir_known(self, run: PlannedRun, run_dir: Path) -> None: ...

    def run_ended(self, run: PlannedRun, result: RunResult, done: int, total: int) -> None: ...


def status_of(run_dir: Path | None) -> str:
    from tuitrain.runs.status import read_status

    if run_dir is None:
        return "not started"
    return str(read_status(run_dir).get("status", "unknown"))


def result_for(study: StudyDirectory, plan: Plan, run: PlannedRun) -> RunResult:
    path = plan.run_path(study.path, run)
    rows = read_rows(path) if path is not None else []
    return result_of(
        rows,
        variant=run.variant,
        seed=run.seed,
        status=status_of(path),
        target=plan.target_acc,
        run_dir=run.dir or "",
    )


class StudyRunner:
    """Runs what the plan has left. `run()` blocks on the calling (main) thread; `stop()` may
    be called from a signal handler or another thread."""

    def __init__(
        self,
        study: StudyDirectory,
        plan: Plan,
        listener: Listener,
        options: RunnerOptions = RunnerOptions(),
    ) -> None:
        self.study = study
        self.plan = plan
        self.listener = listener
        self.options = options
        self.stop_signal: int | None = None
        self.active: list[Active] = []
        self.failed = 0

    def pending(self) -> list[PlannedRun]:
        return [run for run in self.plan.runs if run_state(self.study.path, run) != "done"]

    def live_runs(self) -> list[tuple[PlannedRun, Path | None]]:
        return [(a.run, self.plan.run_path(self.study.path, a.run)) for a in self.active]

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Stop the study: no run starts; every live one gets signum (and checkpoints)."""
        self.stop_signal = signum
        for active in self.active:
            if active.process.poll() is None:
                active.process.send_signal(signum)

    def run(self, *, poll: float = 0.2, between: Callable[[], None] | None = None) -> int:
        """Run every pending run; the number of runs left undone (0: the study is complete)."""
        queue = self.pending()
        total = len(self.plan.runs)
        while (queue and self.stop_signal is None) or self.active:
            while queue and self.stop_signal is None and len(self.active) < self.options.parallel:
                self._start(queue.pop(0))
            time.sleep(poll)
            for active in list(self.active):
                self._note_dir(active)
                if active.process.poll() is not None:
                    self._ended(active, total)
            if between is not None:
                between()
        return len(self.pending())

    def _free_slot(self) -> int:
        used = {active.slot for active in self.active}
        return next(slot for slot in range(self.options.parallel + 1) if slot not in used)

    def _start(self, run: PlannedRun) -> None:
        state = run_state(self.study.path, run)
        if state == "live":
            return  # another process still trains it: leave it be
        resumed = state == "resumable"
        slot = self._free_slot()
        argv = self._argv(run, slot, resumed)
        log = self.study.log_path(run).open("ab")
        log.write(f"$ tuitrain {' '.join(argv[3:])}\n".encode())
        log.flush()
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env(),
            start_new_session=True,  # the study forwards Ctrl-C itself, once, to every run
        )
        known = {f"runs/{p.name}" for p in self.study.runs_dir.iterdir()}
        if resumed:
            known.discard(run.dir or "")
        self.active.append(Active(run, process, log, slot, known=known))
        self.listener.run_started(run, self.plan.run_path(self.study.path, run), resumed)

    def _argv(self, run: PlannedRun, slot: int, resumed: bool) -> list[str]:
        head = [sys.executable, "-m", "tuitrain"]
        tail = ["--headless", "--log-every", str(self.options.log_every)]
        if resumed:
            return [*head, "resume", str(self.study.path / str(run.dir)), *tail]
        argv = [*head, "run", str(self.study.preset_path(run.variant)), *tail]
        argv += ["--runs-dir", str(self.study.runs_dir), "--name", run.id]
        argv += ["--set", f"train.seed={run.seed}"]
        if self.options.devices:
            argv += ["--device", self.options.devices[slot % len(self.options.devices)]]
        return argv

    def _env(self) -> dict[str, str]:
        """Runs side by side share the cores: each gets its part of the threads."""
        env = dict(os.environ)
        if self.options.parallel > 1 and "OMP_NUM_THREADS" not in env:
            cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
            env["OMP_NUM_THREADS"] = str(max(1, cores // self.options.parallel))
        return env

    def _note_dir(self, active: Active) -> None:
        if active.run.dir is not None and active.run.dir not in active.known:
            return
        found = self.study.find_run_dir(active.run, active.known)
        if found is None:
            return
        active.run.dir = found
        self.study.write_plan(self.plan)
        self.listener.run_dir_known(active.run, self.study.path / found)

    def _ended(self, active: Active, total: int) -> None:
        self.active.remove(active)
        active.log.close()
        result = result_for(self.study, self.plan, active.run)
        if result.status == "failed" or active.process.returncode not in (0, 130, 143):
            self.failed += 1
        done = total - len(self.pending())
        self.listener.run_ended(active.run, result, done, total)


class StopOnSignals:
    """SIGINT and SIGTERM stop the study cleanly; a second one is forwarded again (each run
    then quits at once, as a second signal does to `tuitrain run`)."""

    def __init__(self, runner: StudyRunner) -> None:
        self.runner = runner
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        again = self.runner.stop_signal is not None
        self.runner.stop(signum)
        note = (
            "tuitrain: stopping the runs at once\n"
            if again
            else "tuitrain: stopping the study: running runs save a checkpoint and end "
            "(again: at once)\n"
        )
        with contextlib.suppress(OSError):  # os.write: print() is unsafe in a signal handler
            os.write(2, note.encode())


def plan_runs(variants: Sequence[str], seeds: Sequence[int]) -> list[PlannedRun]:
    """Seed-major: every variant's first seed runs before any second one, so a study cut short
    still compares every variant."""
    from tuitrain.study.plan import run_id

    return [PlannedRun(run_id(v, seed), v, seed) for seed in seeds for v in variants]
