"""Each run's numbers, read from its metrics.csv, and their mean and spread over seeds."""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.runs.files import METRICS
from tuitrain.study.metrics import MEASURES, TO_TARGET


@dataclass(frozen=True)
class RunResult:
    """One finished (or stopped) run of a variant, as its epoch rows stand."""

    variant: str
    seed: int
    status: str
    epochs: int
    best_val_acc: float | None = None
    final_val_acc: float | None = None
    best_val_loss: float | None = None
    final_val_loss: float | None = None
    epochs_to_target: float | None = None
    seconds_to_target: float | None = None
    gap: float | None = None
    """Final training accuracy minus final validation accuracy (a fraction)."""
    seconds: float | None = None
    run_dir: str = ""

    def value(self, key: str) -> float | None:
        value = getattr(self, key)
        return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def read_rows(run_dir: Path) -> list[dict[str, float | None]]:
    """The epoch rows of a run's metrics.csv (none yet when it has not ended an epoch)."""
    try:
        with open(run_dir / METRICS, newline="", encoding="utf-8") as handle:
            return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    except OSError:
        return []


def result_of(
    rows: Sequence[dict[str, float | None]],
    *,
    variant: str,
    seed: int,
    status: str,
    target: float | None,
    run_dir: str = "",
) -> RunResult:
    """The study's measures of one run from its epoch rows."""
    accs = [(row.get("epoch"), row.get("elapsed_s"), row.get("val_acc")) for row in rows]
    val_accs = [acc for _, _, acc in accs if acc is not None]
    val_losses = [row["val_loss"] for row in rows if row.get("val_loss") is not None]
    last = rows[-1] if rows else {}
    reached = next(
        ((epoch, at) for epoch, at, acc in accs if target is not None and acc and acc >= target),
        (None, None),
    )
    train_acc, val_acc = last.get("train_acc"), last.get("val_acc")
    return RunResult(
        variant=variant,
        seed=seed,
        status=status,
        epochs=len(rows),
        best_val_acc=max(val_accs, default=None),
        final_val_acc=val_acc,
        best_val_loss=min(val_losses, default=None),  # type: ignore[type-var]
        final_val_loss=last.get("val_loss"),
        epochs_to_target=reached[0],
        seconds_to_target=reached[1],
        gap=train_acc - val_acc if train_acc is not None and val_acc is not None else None,
        seconds=last.get("elapsed_s"),
        run_dir=run_dir,
    )


@dataclass(frozen=True)
class Stat:
    """Mean and spread (sample standard deviation; 0 for one value) of one measure."""

    mean: float
    spread: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat | None:
        if not values:
            return None
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return cls(statistics.fmean(values), spread, len(values))

    def interval(self) -> tuple[float, float]:
        return self.mean - self.spread, self.mean + self.spread


@dataclass
class VariantSummary:
    variant: str
    runs: int
    """Runs with at least one epoch."""
    stats: dict[str, Stat | None] = field(default_factory=dict)
    failed: int = 0

    def stat(self, key: str) -> Stat | None:
        return self.stats.get(key)

    def reached(self) -> int:
        """Runs that reached the target accuracy."""
        found = self.stats.get("epochs_to_target")
        return found.count if found else 0


def summarize(results: Iterable[RunResult], variants: Sequence[str]) -> list[VariantSummary]:
    """One summary per variant, in the study's order (variants without a result included)."""
    by_variant: dict[str, list[RunResult]] = {name: [] for name in variants}
    for result in results:
        by_variant.setdefault(result.variant, []).append(result)
    summaries = []
    for name, runs in by_variant.items():
        measured = [run for run in runs if run.epochs > 0]
        summary = VariantSummary(
            name, len(measured), failed=sum(r.status == "failed" for r in runs)
        )
        for metric in MEASURES:
            values = [v for run in measured if (v := run.value(metric.key)) is not None]
            summary.stats[metric.key] = Stat.of(values)
        summaries.append(summary)
    return summaries


__all__ = ["TO_TARGET", "RunResult", "Stat", "VariantSummary", "read_rows", "result_of"]
