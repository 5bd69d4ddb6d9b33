"""Claims a study states (`momentum beats sgd on best val_acc`) and their verdicts over seeds.

A claim holds when the first variant is better and the two seeds' spreads (mean +- one sample
standard deviation) do not overlap; it does not hold when the second is better by that margin;
otherwise it is undecided. The numbers behind every verdict are given with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tuitrain.study.metrics import BY_NAME, TO_TARGET, Metric
from tuitrain.study.results import Stat, VariantSummary

HELD, NOT_HELD, UNDECIDED = "held", "not held", "undecided"

_CLAIM = re.compile(r"^\s*(?P<better>\S+)\s+beats\s+(?P<worse>\S+)\s+on\s+(?P<metric>.+?)\s*$")
FORM = "'A beats B on METRIC'"


class ClaimError(ValueError):
    """A claim that does not read; the message says why."""


@dataclass(frozen=True)
class Claim:
    text: str
    better: str
    worse: str
    metric: Metric


def parse_claim(text: str, variants: Sequence[str]) -> Claim:
    """`A beats B on METRIC`, with A and B among the study's variants."""
    from tuitrain.config.problems import did_you_mean

    match = _CLAIM.match(text)
    if not match:
        raise ClaimError(f"does not read as {FORM}")
    metric = BY_NAME.get(match["metric"])
    if metric is None:
        names = ", ".join(BY_NAME)
        hint = did_you_mean(match["metric"], BY_NAME)
        raise ClaimError(f"unknown measure {match['metric']!r}{hint} (measures: {names})")
    for side in ("better", "worse"):
        if match[side] not in variants:
            hint = did_you_mean(match[side], variants)
            raise ClaimError(
                f"no variant named {match[side]!r}{hint} (variants: {', '.join(variants)})"
            )
    if match["better"] == match["worse"]:
        raise ClaimError("compares a variant with itself")
    return Claim(text.strip(), match["better"], match["worse"], metric)


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    verdict: str
    evidence: str

    def __str__(self) -> str:
        return f"{self.verdict}: {self.claim.text} ({self.evidence})"


def _shown(metric: Metric, stat: Stat) -> str:
    spread = f" ± {metric.show(stat.spread)}" if stat.count > 1 else ""
    unit = {"%": "%", "pts": " pts", "s": " s", "ep": " epochs"}.get(metric.unit, "")
    return f"{metric.show(stat.mean)}{spread}{unit} over {stat.count}"


def _to_target(claim: Claim, better: VariantSummary, worse: VariantSummary) -> Verdict | None:
    """Runs that never reached the target count as slower than any that did."""
    got, lost = better.reached(), worse.reached()
    if got == better.runs and lost == worse.runs:
        return None  # every run reached it: compare the times
    counts = (
        f"{claim.better} reached the target in {got} of {better.runs} runs, "
        f"{claim.worse} in {lost} of {worse.runs}"
    )
    if better.runs and got == better.runs and lost == 0 and worse.runs:
        return Verdict(claim, HELD, counts)
    if worse.runs and lost == worse.runs and got == 0 and better.runs:
        return Verdict(claim, NOT_HELD, counts)
    return Verdict(claim, UNDECIDED, counts)


def judge(claim: Claim, summaries: Sequence[VariantSummary]) -> Verdict:
    by_name = {summary.variant: summary for summary in summaries}
    better, worse = by_name[claim.better], by_name[claim.worse]
    key = claim.metric.key
    if key in TO_TARGET:
        counted = _to_target(claim, better, worse)
        if counted is not None:
            return counted
    a, b = better.stat(key), worse.stat(key)
    if a is None or b is None:
        missing = claim.better if a is None else claim.worse
        return Verdict(claim, UNDECIDED, f"no {claim.metric.name} for {missing} yet")
    evidence = f"{claim.better} {_shown(claim.metric, a)}, {claim.worse} {_shown(claim.metric, b)}"
    a_low, a_high = a.interval()
    b_low, b_high = b.interval()
    if claim.metric.higher_is_better:
        ahead, behind = a_low > b_high, b_low > a_high
    else:
        ahead, behind = a_high < b_low, b_high < a_low
    if ahead:
        return Verdict(claim, HELD, evidence)
    if behind:
        return Verdict(claim, NOT_HELD, evidence)
    return Verdict(claim, UNDECIDED, evidence + "; the spreads overlap")
