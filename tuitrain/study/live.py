"""Running a study headless or under the monitor."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TextIO

from tuitrain.exitcodes import INTERRUPTED, OK, TERMINATED
from tuitrain.runs.files import CONSOLE_LOG
from tuitrain.signals import HangUp
from tuitrain.study.headless import HeadlessStudy
from tuitrain.study.plan import Plan, PlannedRun, StudyDirectory
from tuitrain.study.report import markdown_table
from tuitrain.study.results import RunResult
from tuitrain.study.runner import Listener, RunnerOptions, StopOnSignals, StudyRunner
from tuitrain.study.session import exit_code, outcome


class _WritingResults(HeadlessStudy):
    """Rewrites the results files whenever a run ends, so a study cut short has its table."""

    def __init__(self, study: StudyDirectory, plan: Plan, stream: TextIO | None = None) -> None:
        super().__init__(stream or sys.stdout)
        self.study, self.plan = study, plan

    def run_ended(self, run: PlannedRun, result: RunResult, done: int, total: int) -> None:
        super().run_ended(run, result, done, total)
        outcome(self.study, self.plan)


def _console_log(study: StudyDirectory) -> TextIO:
    """Where a study's lines go once its terminal is gone; print() goes there too."""
    log = (study.path / CONSOLE_LOG).open("a", encoding="utf-8")
    sys.stdout = log
    return log


def _print_outcome(study: StudyDirectory, plan: Plan, left: int, stopped: bool) -> None:
    result = outcome(study, plan)
    print()
    print(markdown_table(result.summaries, plan.target_acc))
    for verdict in result.verdicts:
        print(f"  {verdict}")
    print()
    if stopped or left:
        print(f"{left} runs left; finish with: tuitrain study --resume {study.path}")
    print(f"results: {study.path / 'results.md'}")


def run_headless(study: StudyDirectory, plan: Plan, options: RunnerOptions) -> int:
    printer = _WritingResults(study, plan)
    runner = StudyRunner(study, plan, printer, options)

    def to_log() -> None:
        printer.stream = _console_log(study)

    with StopOnSignals(runner), HangUp(to_log):
        left = len(runner.pending())
        printer.say(
            f"study {plan.study}: {len(plan.runs)} runs ({len(plan.variants)} variants x "
            f"{len(plan.seeds)} seeds), {left} to run, {options.parallel} at a time; "
            f"{study.path}"
        )
        left = runner.run()
    _print_outcome(study, plan, left, runner.stop_signal is not None)
    return exit_code(left, runner.failed, runner.stop_signal)


class _Background:
    """The runner on a thread of its own, so the monitor keeps the main one (and signals)."""

    def __init__(self, study: StudyDirectory, plan: Plan, options: RunnerOptions) -> None:
        self.study, self.plan, self.options = study, plan, options
        self.runner: StudyRunner | None = None
        self.thread: threading.Thread | None = None
        self.left = 0

    def start(self, listener: Listener, on_done: Callable[[], None]) -> Callable[[int], None]:
        runner = StudyRunner(self.study, self.plan, listener, self.options)
        self.runner = runner

        def work() -> None:
            try:
                self.left = runner.run()
            finally:
                on_done()

        self.thread = threading.Thread(target=work, name="tuitrain-study", daemon=True)
        self.thread.start()
        return runner.stop

    def finish(self, *, stop: bool) -> None:
        """After the monitor closed: stop what still runs (unless it is to go on without the
        monitor), and wait for it to end."""
        if self.runner is None or self.thread is None:
            return
        if stop and self.thread.is_alive() and self.runner.stop_signal is None:
            self.runner.stop(signal.SIGINT)
        while self.thread.is_alive():
            self.thread.join(timeout=0.25)  # short joins: the main thread still takes signals


def _close(app: object) -> None:
    """Close the monitor from a signal handler: wake its loop, which may sit in select()."""
    import asyncio

    exit_app = app.exit  # type: ignore[attr-defined]
    try:
        asyncio.get_running_loop().call_soon_threadsafe(exit_app)
    except RuntimeError:
        exit_app()


def run_monitored(study: StudyDirectory, plan: Plan, options: RunnerOptions) -> int:
    from tuitrain.ui.study import StudyApp

    background = _Background(study, plan, options)
    app = StudyApp(study, plan, background.start)
    terminated = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        del frame
        terminated.set()
        app.stop_asked = True
        if background.runner is not None:
            background.runner.stop(signum)

    previous = signal.signal(signal.SIGTERM, on_term)
    hangup = HangUp(lambda: _close(app))
    try:
        with hangup:
            app.run()
            if hangup.happened:  # the study goes on headless, its lines in console.log
                log = _console_log(study)
                if background.runner is not None:
                    background.runner.listener = _WritingResults(study, plan, log)
            background.finish(stop=not hangup.happened)
    finally:
        signal.signal(signal.SIGTERM, previous)
    runner = background.runner
    stopped = runner is not None and runner.stop_signal is not None
    _print_outcome(study, plan, background.left, stopped)
    if terminated.is_set():
        return TERMINATED
    if app.stop_asked:
        return INTERRUPTED if app.interrupted else OK
    return exit_code(background.left, runner.failed if runner else 0, None)
