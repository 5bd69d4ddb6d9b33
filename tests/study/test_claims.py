"""Claim verdicts on constructed results: held, not held, and undecided when spreads overlap."""

from __future__ import annotations

from tuitrain.study.claims import HELD, NOT_HELD, UNDECIDED, judge, parse_claim
from tuitrain.study.results import RunResult, summarize

VARIANTS = ["sgd", "momentum"]


def runs(variant: str, **values: list[float | None]) -> list[RunResult]:
    count = len(next(iter(values.values())))
    return [
        RunResult(
            variant=variant,
            seed=seed,
            status="completed",
            epochs=4,
            **{key: column[seed] for key, column in values.items()},
        )
        for seed in range(count)
    ]


def verdict(claim: str, results: list[RunResult]) -> tuple[str, str]:
    found = judge(parse_claim(claim, VARIANTS), summarize(results, VARIANTS))
    return found.verdict, found.evidence


def test_a_claim_holds_when_the_spreads_are_apart_and_the_numbers_are_given() -> None:
    results = runs("momentum", best_val_acc=[0.80, 0.82, 0.84]) + runs(
        "sgd", best_val_acc=[0.60, 0.61, 0.62]
    )
    held, evidence = verdict("momentum beats sgd on best val_acc", results)
    assert held == HELD
    assert evidence == "momentum 82.0 ± 2.0% over 3, sgd 61.0 ± 1.0% over 3"
    assert verdict("sgd beats momentum on best val_acc", results)[0] == NOT_HELD


def test_overlapping_spreads_leave_a_claim_undecided() -> None:
    results = runs("momentum", best_val_acc=[0.70, 0.80]) + runs("sgd", best_val_acc=[0.68, 0.76])
    found, evidence = verdict("momentum beats sgd on best val_acc", results)
    assert found == UNDECIDED
    assert evidence.endswith("the spreads overlap")
    # Apart by more than one standard deviation on each side: decided.
    results = runs("momentum", best_val_acc=[0.80, 0.81]) + runs("sgd", best_val_acc=[0.70, 0.71])
    assert verdict("momentum beats sgd on best val_acc", results)[0] == HELD


def test_lower_is_better_for_losses_gaps_and_times() -> None:
    results = runs("momentum", final_val_loss=[0.5, 0.52], gap=[0.02, 0.03], seconds=[30, 31])
    results += runs("sgd", final_val_loss=[0.9, 0.95], gap=[0.10, 0.12], seconds=[20, 21])
    assert verdict("momentum beats sgd on final val_loss", results)[0] == HELD
    assert verdict("momentum beats sgd on gap", results)[0] == HELD
    assert verdict("momentum beats sgd on time", results)[0] == NOT_HELD


def test_runs_that_never_reach_the_target_count_as_slower() -> None:
    reached = runs("momentum", epochs_to_target=[2, 3])
    never = runs("sgd", epochs_to_target=[None, None])
    found, evidence = verdict("momentum beats sgd on epochs to target", reached + never)
    assert found == HELD
    assert evidence == "momentum reached the target in 2 of 2 runs, sgd in 0 of 2"
    assert verdict("sgd beats momentum on epochs to target", reached + never)[0] == NOT_HELD
    partly = runs("sgd", epochs_to_target=[4, None])
    assert verdict("momentum beats sgd on epochs to target", reached + partly)[0] == UNDECIDED


def test_a_variant_without_results_leaves_its_claims_undecided() -> None:
    found, evidence = verdict("momentum beats sgd on best val_acc", runs("sgd", best_val_acc=[0.5]))
    assert (found, evidence) == (UNDECIDED, "no best val_acc for momentum yet")
