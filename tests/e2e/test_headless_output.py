"""The headless log, line by line, from the real `tuitrain run` with its output piped."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import private_env
from tests.e2e.helpers import TUITRAIN, run_argv, the_run_dir
from tests.e2e.terminal import Terminal
from tests.e2e.warm import WarmLauncher, WarmProcess

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  "
CLOCK = r"\d+:\d\d(?::\d\d)?"
EPOCH_LINE = re.compile(
    rf"{STAMP}epoch (?P<epoch>\d+)/3 done in {CLOCK}  "
    r"train loss (?P<train_loss>\d+\.\d{4}) acc (?P<train_acc>\d+\.\d%)  "
    r"val loss (?P<val_loss>\d+\.\d{4}) acc (?P<val_acc>\d+\.\d%)(?: \(best\))?  "
    rf"lr (?P<lr>\S+)  (?P<images>[\d,]+) img/s  ETA {CLOCK}(?:  \[\w+\])?"
)


@dataclass(frozen=True)
class Finished:
    result: subprocess.CompletedProcess[str]
    run: Path

    @property
    def lines(self) -> list[str]:
        return self.result.stdout.split("\n")[:-1]


@pytest.fixture(scope="module")
def piped() -> Iterator[Finished]:
    """A short run of the console script itself, its stdout a pipe, no --headless."""
    home = Path(tempfile.mkdtemp(prefix="tte-"))
    try:
        result = subprocess.run(
            [TUITRAIN, *run_argv(home / "runs", epochs=3, name="piped")],
            cwd=home,
            env=private_env(home),  # TERM=xterm-256color: only the pipe says "no terminal"
            capture_output=True,
            text=True,
            timeout=120,
        )
        yield Finished(result, the_run_dir(home / "runs"))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_run_exits_0_and_writes_only_plain_timestamped_lines(piped: Finished) -> None:
    assert piped.result.returncode == 0, piped.result.stderr
    assert piped.result.stderr == ""
    assert "\r" not in piped.result.stdout
    assert "\x1b" not in piped.result.stdout
    assert piped.result.stdout.endswith("\n")
    assert [line for line in piped.lines if not re.match(STAMP + r"\S", line)] == []


def test_the_start_line_says_what_trains_where(piped: Finished) -> None:
    started = [line for line in piped.lines if " started " in line]
    assert len(started) == 1
    assert re.fullmatch(
        rf"{STAMP}started default in {re.escape(str(piped.run))} on CPU \(fp32\): "
        r"3 epochs x 10 steps, 160 train / 40 val images, 10 classes; "
        r"cnn \(batch norm, [\d,]+ parameters\), sgd lr 0\.05, plateau schedule, augment none",
        started[0],
    ), started[0]


def test_one_summary_line_per_epoch_with_the_numbers_of_metrics_csv(piped: Finished) -> None:
    summaries = [EPOCH_LINE.fullmatch(line) for line in piped.lines if " done in " in line]
    assert all(summaries), [line for line in piped.lines if " done in " in line]
    with open(piped.run / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(m["epoch"]) for m in summaries if m] == [1, 2, 3]
    for match, row in zip(summaries, rows, strict=True):
        assert match is not None
        assert match["train_loss"] == f"{float(row['train_loss']):.4f}"
        assert match["train_acc"] == f"{float(row['train_acc']):.1%}"
        assert match["val_loss"] == f"{float(row['val_loss']):.4f}"
        assert match["val_acc"] == f"{float(row['val_acc']):.1%}"
        assert match["lr"] == f"{float(row['lr']):.4g}"
        assert int(match["images"].replace(",", "")) > 0


def test_the_last_line_sums_up_the_run(piped: Finished) -> None:
    best = json.loads((piped.run / "status.json").read_text())["best_value"]
    assert re.fullmatch(
        rf"{STAMP}finished: completed after 3 epochs, 30 steps, {CLOCK}; "
        rf"best val_acc {re.escape(f'{best:.1%}')}",
        piped.lines[-1],
    ), piped.lines[-1]


def test_term_dumb_on_a_terminal_is_headless_too(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    with Terminal(columns=100, rows=30, translate_newlines=False) as terminal:
        process = warm.launch(
            run_argv(runs_dir, epochs=1, name="dumb"),
            cwd=runs_dir.parent,
            env={**os.environ, "TERM": "dumb"},
            tty=terminal.slave_name,
        )
        processes.append(process)
        assert process.wait(60) == 0, terminal.text()
        output = terminal.read_all()
    assert "\x1b" not in output
    assert "\r" not in output
    lines = output.split("\n")[:-1]
    assert [line for line in lines if not re.match(STAMP + r"\S", line)] == []
    assert any(" started default in " in line for line in lines)
    assert re.search(r" finished: completed after 1 epoch, 10 steps, ", lines[-1]), lines[-1]
