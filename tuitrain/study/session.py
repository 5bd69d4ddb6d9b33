"""A study from start to end: its directory and plan, its runs, and its results written as
each run ends; shared by the headless printer and the monitor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuitrain.config.loader import preset_to_yaml
from tuitrain.errors import UserError
from tuitrain.exitcodes import FAILED, OK
from tuitrain.study.claims import Claim, Verdict, parse_claim
from tuitrain.study.loader import LoadedStudy
from tuitrain.study.plan import Plan, StudyDirectory, run_state
from tuitrain.study.report import verdicts, write_results
from tuitrain.study.results import RunResult, VariantSummary, summarize
from tuitrain.study.runner import plan_runs, result_for


def create_study(loaded: LoadedStudy, studies_dir: Path) -> tuple[StudyDirectory, Plan]:
    """The study's directory with its plan and each variant's resolved preset; nothing run."""
    import time

    study = StudyDirectory.create(studies_dir, loaded.name)
    (study.path / "study.yaml").write_text(loaded.text, encoding="utf-8")
    for variant in loaded.variants:
        study.preset_path(variant.name).write_text(
            preset_to_yaml(variant.loaded.preset), encoding="utf-8"
        )
    names = [variant.name for variant in loaded.variants]
    plan = Plan(
        study=loaded.name,
        description=loaded.spec.description,
        target_acc=loaded.spec.target_acc,
        seeds=loaded.seeds,
        variants=names,
        claims=[claim.text for claim in loaded.claims],
        runs=plan_runs(names, loaded.seeds),
        created=time.time(),
    )
    study.write_plan(plan)
    return study, plan


def open_study(path: Path) -> tuple[StudyDirectory, Plan]:
    """A study directory to resume: refused when nothing is left to run."""
    study = StudyDirectory.open(path)
    plan = study.read_plan()
    states = [run_state(study.path, run) for run in plan.runs]
    if "live" in states:
        raise UserError(
            f"a run of {path} is still training",
            hint="wait for it, or stop it (tuitrain ctl RUN stop), then resume the study",
        )
    return study, plan


@dataclass
class Outcome:
    results: list[RunResult]
    summaries: list[VariantSummary]
    verdicts: list[Verdict]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.results, self.summaries, self.verdicts))


def claims_of(plan: Plan) -> list[Claim]:
    return [parse_claim(text, plan.variants) for text in plan.claims]


def current(study: StudyDirectory, plan: Plan) -> Outcome:
    """The results as they stand, read from the run directories."""
    results = [result_for(study, plan, run) for run in plan.runs]
    summaries = summarize(results, plan.variants)
    return Outcome(results, summaries, verdicts(claims_of(plan), summaries))


def outcome(study: StudyDirectory, plan: Plan) -> Outcome:
    """The results as they stand, written to results.md, results.csv and runs.csv."""
    found = current(study, plan)
    write_results(
        study.path,
        f"Study: {plan.study}",
        found.results,
        found.summaries,
        claims_of(plan),
        plan.target_acc,
    )
    return found


def exit_code(left: int, failed: int, stop_signal: int | None) -> int:
    """130 / 143 when a signal stopped it, 1 when a run failed or is left, else 0."""
    import signal

    from tuitrain.exitcodes import INTERRUPTED, TERMINATED

    if stop_signal is not None:
        return TERMINATED if stop_signal == signal.SIGTERM else INTERRUPTED
    return FAILED if failed or left else OK
