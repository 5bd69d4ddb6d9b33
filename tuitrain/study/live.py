"""Running a study headless or under the monitor."""

from __future__ import annotations

import sys

from tuitrain.study.headless import HeadlessStudy
from tuitrain.study.plan import Plan, StudyDirectory
from tuitrain.study.report import markdown_table
from tuitrain.study.runner import RunnerOptions, StopOnSignals, StudyRunner
from tuitrain.study.session import exit_code, outcome


class _WritingResults(HeadlessStudy):
    """Rewrites the results files whenever a run ends, so a study cut short has its table."""

    def __init__(self, study: StudyDirectory, plan: Plan) -> None:
        super().__init__(sys.stdout)
        self.study, self.plan = study, plan

    def run_ended(self, run, result, done, total) -> None:  # type: ignore[no-untyped-def]
        super().run_ended(run, result, done, total)
        outcome(self.study, self.plan)


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
    result = outcome(study, plan)
    print()
    print(markdown_table(result.summaries, plan.target_acc))
    for verdict in result.verdicts:
        print(f"  {verdict}")
    print()
    if runner.stop_signal is not None or left:
        print(f"{left} runs left; finish with: tuitrain study --resume {study.path}")
    print(f"results: {study.path / 'results.md'}")
    return exit_code(left, runner.failed, runner.stop_signal)


def run_monitored(study: StudyDirectory, plan: Plan, options: RunnerOptions) -> int:
    return run_headless(study, plan, options)
