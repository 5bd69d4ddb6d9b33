"""What a study measures of each run: the names claims and tables use, and which way is better."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    """The RunResult field."""
    name: str
    """How a claim names it: `best val_acc`."""
    higher_is_better: bool
    unit: str
    """`%`: a 0..1 fraction shown in percent; `pts`: percentage points; `s`, `ep` or ``."""

    def show(self, value: float) -> str:
        if self.unit in ("%", "pts"):
            return f"{value * 100:.1f}"
        if self.unit == "s":
            return f"{value:.0f}"
        if self.unit == "ep":
            return f"{value:.1f}"
        return f"{value:.3f}"


MEASURES: tuple[Metric, ...] = (
    Metric("best_val_acc", "best val_acc", True, "%"),
    Metric("final_val_acc", "final val_acc", True, "%"),
    Metric("best_val_loss", "best val_loss", False, ""),
    Metric("final_val_loss", "final val_loss", False, ""),
    Metric("epochs_to_target", "epochs to target", False, "ep"),
    Metric("seconds_to_target", "seconds to target", False, "s"),
    Metric("gap", "gap", False, "pts"),
    Metric("seconds", "time", False, "s"),
)
"""In the order the results table shows them."""

BY_NAME = {metric.name: metric for metric in MEASURES}
TO_TARGET = ("epochs_to_target", "seconds_to_target")
