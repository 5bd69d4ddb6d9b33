"""A study without a terminal: one line per run that ends, then the table and the verdicts."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from tuitrain import words
from tuitrain.study.plan import PlannedRun
from tuitrain.study.results import RunResult


def describe_result(result: RunResult) -> str:
    """`best val 84.1%, final 83.0%, val loss 0.5123, 5 epochs in 0:36`."""
    if result.epochs == 0:
        return "no epoch finished"
    return (
        f"best val {words.percent(result.best_val_acc)}, "
        f"final {words.percent(result.final_val_acc)}, "
        f"val loss {words.loss(result.final_val_loss)}, "
        f"{words.counted(result.epochs, 'epoch')} in {words.duration(result.seconds)}"
    )


class HeadlessStudy:
    """The Listener that prints plain lines (for nohup, SLURM and pipes)."""

    def __init__(self, stream: TextIO = sys.stdout) -> None:
        self.stream = stream

    def say(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.stream.write(f"{stamp} {text}\n")
        self.stream.flush()

    def run_started(self, run: PlannedRun, run_dir: Path | None, resumed: bool) -> None:
        del run, run_dir, resumed  # one line per run that ends, not per start

    def run_dir_known(self, run: PlannedRun, run_dir: Path) -> None:
        del run, run_dir

    def run_ended(self, run: PlannedRun, result: RunResult, done: int, total: int) -> None:
        where = f"  {run.dir}" if run.dir else ""
        self.say(f"[{done}/{total}] {run.id} {result.status}: {describe_result(result)}{where}")
