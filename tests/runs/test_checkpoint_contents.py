"""A checkpoint that unzips but holds the wrong contents is checked against the preset's model
and passed over, with a warning, for the next one; when none fits, resume says so (exit 2)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import torch

from tests.runs.test_privacy import run_once
from tuitrain.cli import main


def rewrite(path: Path, change: str) -> None:
    """Save the checkpoint again, whole and readable, with its model state emptied or one
    weight of the wrong shape."""
    state = torch.load(path, weights_only=True)
    if change == "empty":
        state["model"] = {}
    else:
        key = next(k for k, v in state["model"].items() if v.ndim == 4)
        state["model"][key] = torch.zeros(3, 3)
    torch.save(state, path)


def test_resume_passes_over_checkpoints_that_do_not_fit_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_once(tmp_path / "runs", "--set", "train.epochs=2")
    checkpoints = run / "checkpoints"
    kept = tmp_path / "previous.pt"
    shutil.copy(checkpoints / "previous.pt", kept)
    for name, change in (("last.pt", "empty"), ("best.pt", "shape"), ("previous.pt", "shape")):
        rewrite(checkpoints / name, change)
    capsys.readouterr()
    assert main(["resume", str(run), "--epochs", "3", "--headless"]) == 2
    err = capsys.readouterr().out
    assert "no checkpoint of this run fits its preset's model" in err
    assert "last.pt (it holds no model weights)" in err and "Traceback" not in err
    assert "the preset's model has (8, 3, 3, 3)" in err

    shutil.copy(kept, checkpoints / "previous.pt")  # one good checkpoint, an epoch older
    assert main(["resume", str(run), "--epochs", "3", "--headless"]) == 0
    out = capsys.readouterr().out
    assert f"skipped {checkpoints / 'last.pt'}: it does not fit the preset's model" in out
    events = [json.loads(line) for line in (run / "events.jsonl").open()]
    [resumed] = [e for e in events if e["type"] == "run_resumed"]
    assert resumed["checkpoint"] == str(checkpoints / "previous.pt") and resumed["epoch"] == 1
    assert events[-1]["type"] == "finished" and events[-1]["epoch"] == 3
    epochs = [row["epoch"] for row in csv.DictReader((run / "metrics.csv").open())]
    assert epochs == ["1", "2", "3"]  # epoch 2 redone once, not listed twice
