"""Running a study headless or under the monitor."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from tuitrain.exitcodes import INTERRUPTED, OK, TERMINATED
from tuitrain.study.headless import HeadlessStudy
from tuitrain.study.plan import Plan, StudyDirectory
from tuitrain.study.report import markdown_table
from tuitrain.study.runner import Listener, RunnerOptions, StopOnSignals, StudyRunner
from tuitrain.study.session import exit_code, outcome


class _WritingResults(HeadlessStudy):
    """Rewrites the results files whenever a run ends, so a study cut short has its table."""

    def __init__(self, study: StudyDirectory, plan: Plan) -> None:
        super().__init__(sys.stdout)
        self.study, self.plan = study, plan

    def run_ended(self, run, result, done, total) -> None:  # type: ignore[no-untyped-def]
        super().run_ended(run, result, done, total)
        outcome(self.study, self.plan)


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
    left = len(runner.pending())
    printer.say(
        f"study {plan.study}: {len(plan.runs)} runs ({len(plan.variants)} variants x "
        f"{len(plan.seeds)} seeds), {left} to run, {options.parallel} at a time; {study.path}"
    )
    with StopOnSignals(runner):
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

    def finish(self) -> None:
        """After the monitor closed: stop what still runs, and wait for it to end."""
        if self.runner is None or self.thread is None:
            return
        if self.thread.is_alive() and self.runner.stop_signal is None:
            self.runner.stop(signal.SIGINT)
        while self.thread.is_alive():
            self.thread.join(timeout=0.25)  # short joins: the main thread still takes signals


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
    try:
        app.run()
        background.finish()
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
