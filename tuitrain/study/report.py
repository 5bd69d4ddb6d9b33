"""The study's results as a markdown table, CSV files and claim verdicts."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path

from tuitrain.runs.atomic import atomic_write_text
from tuitrain.study.claims import Claim, Verdict, judge
from tuitrain.study.metrics import MEASURES, Metric
from tuitrain.study.plan import RESULTS_CSV, RESULTS_MD, RUNS_CSV
from tuitrain.study.results import RunResult, Stat, VariantSummary


def _header(metric: Metric, target: float | None) -> str:
    target_text = f"{target * 100:g}%" if target is not None else "target"
    names = {
        "best_val_acc": "best val acc %",
        "final_val_acc": "final val acc %",
        "best_val_loss": "best val loss",
        "final_val_loss": "final val loss",
        "epochs_to_target": f"epochs to {target_text}",
        "seconds_to_target": f"s to {target_text}",
        "gap": "train-val gap pts",
        "seconds": "time s",
    }
    return names[metric.key]


def _cell(metric: Metric, stat: Stat | None, summary: VariantSummary) -> str:
    if stat is None:
        return "-" if metric.key not in ("epochs_to_target", "seconds_to_target") else "never"
    text = metric.show(stat.mean)
    if stat.count > 1:
        text += f" ± {metric.show(stat.spread)}"
    if metric.key in ("epochs_to_target", "seconds_to_target") and stat.count < summary.runs:
        text += f" ({stat.count}/{summary.runs})"
    return text


def _shown_metrics(target: float | None) -> list[Metric]:
    return [
        m
        for m in MEASURES
        if target is not None or m.key not in ("epochs_to_target", "seconds_to_target")
    ]


def markdown_table(summaries: Sequence[VariantSummary], target: float | None) -> str:
    """One row per variant: mean ± spread over its seeds (n runs)."""
    metrics = _shown_metrics(target)
    header = ["variant", "runs", *(_header(metric, target) for metric in metrics)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for summary in summaries:
        runs = f"{summary.runs}" + (f" ({summary.failed} failed)" if summary.failed else "")
        cells = [_cell(metric, summary.stat(metric.key), summary) for metric in metrics]
        lines.append("| " + " | ".join([summary.variant, runs, *cells]) + " |")
    return "\n".join(lines)


def summary_csv(summaries: Sequence[VariantSummary]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [f"{m.key}_{part}" for m in MEASURES for part in ("mean", "spread", "n")]
    writer.writerow(["variant", "runs", "failed", *columns])
    for summary in summaries:
        row: list[object] = [summary.variant, summary.runs, summary.failed]
        for metric in MEASURES:
            stat = summary.stat(metric.key)
            row += [stat.mean, stat.spread, stat.count] if stat else ["", "", 0]
        writer.writerow(row)
    return out.getvalue()


def runs_csv(results: Sequence[RunResult]) -> str:
    out = io.StringIO()
    names = [field.name for field in fields(RunResult)]
    writer = csv.DictWriter(out, names, lineterminator="\n")
    writer.writeheader()
    for result in results:
        writer.writerow({k: "" if v is None else v for k, v in asdict(result).items()})
    return out.getvalue()


def verdicts(claims: Sequence[Claim], summaries: Sequence[VariantSummary]) -> list[Verdict]:
    return [judge(claim, summaries) for claim in claims]


def results_markdown(
    title: str,
    summaries: Sequence[VariantSummary],
    claims: Sequence[Claim],
    target: float | None,
) -> str:
    parts = [f"# {title}", "", markdown_table(summaries, target)]
    parts += ["", "Mean ± sample standard deviation over seeds; accuracies and gap in percent."]
    found = verdicts(claims, summaries)
    if found:
        parts += ["", "## Claims", ""]
        parts += [f"- **{v.verdict}**: {v.claim.text} ({v.evidence})" for v in found]
    return "\n".join(parts) + "\n"


def write_results(
    root: Path,
    title: str,
    results: Sequence[RunResult],
    summaries: Sequence[VariantSummary],
    claims: Sequence[Claim],
    target: float | None,
) -> None:
    atomic_write_text(root / RESULTS_MD, results_markdown(title, summaries, claims, target))
    atomic_write_text(root / RESULTS_CSV, summary_csv(summaries))
    atomic_write_text(root / RUNS_CSV, runs_csv(results))
