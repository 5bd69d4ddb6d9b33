"""docs/run-directory.md is what users read to make sense of metrics.csv and the checkpoints."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from tuitrain.cli import main
from tuitrain.runs.checkpoint import BEST, LAST, PREVIOUS
from tuitrain.runs.log import METRIC_COLUMNS

DOC = Path(__file__).resolve().parents[2] / "docs" / "run-directory.md"


def metrics_columns_documented() -> dict[str, str]:
    section = DOC.read_text().split("## metrics.csv", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for cell, text in re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", section, flags=re.MULTILINE):
        for name in re.findall(r"`(\w+)`", cell):
            found[name] = text
    return found


def test_every_metrics_column_is_documented() -> None:
    documented = metrics_columns_documented()
    assert set(METRIC_COLUMNS) <= set(documented), set(METRIC_COLUMNS) - set(documented)
    assert "end of the epoch" in documented["lr"]


def test_every_checkpoint_file_is_documented() -> None:
    text = DOC.read_text()
    for name in (LAST, PREVIOUS, BEST):
        assert f"`checkpoints/{name}`" in text


def test_the_lr_column_is_the_rate_the_last_step_of_the_epoch_trained_with(tmp_path: Path) -> None:
    # A step schedule halves the rate after each epoch: epoch 1 trained at 0.05 throughout,
    # epoch 2 at 0.025, and the rows say so (the new rate is not in the row of the epoch
    # whose end decided it).
    preset = tmp_path / "halving.yaml"
    preset.write_text(
        "extends: default\n"
        "data: {size: 120, image_size: 16, batch_size: 16}\n"
        "model: {widths: [8, 16], blocks: 1}\n"
        "optim: {lr: 0.05}\n"
        "schedule: {kind: step, step_epochs: 1, gamma: 0.5}\n"
        "train: {epochs: 2}\n"
    )
    runs = tmp_path / "runs"
    assert main(["run", str(preset), "--headless", "--runs-dir", str(runs)]) == 0
    (run,) = runs.iterdir()
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [float(row["lr"]) for row in rows] == [0.05, 0.025]
