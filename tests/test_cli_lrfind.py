"""`tuitrain lr-find` through the command line: the saved sweep, its listing, and --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.lrfind.colors import color_folder, color_overrides
from tuitrain.cli import main


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("lrfind")
    images = color_folder(base / "images", per_class=24)
    runs_dir = base / "runs"
    argv = ["lr-find", "default", *color_overrides(images), "--steps", "60", "--apply"]
    assert main([*argv, "--headless", "--runs-dir", str(runs_dir), "--name", "applied"]) == 0
    return runs_dir, str(images)


def test_apply_trains_the_preset_at_the_suggested_rate(applied: tuple[Path, str]) -> None:
    runs_dir, _ = applied
    (sweep_dir,) = runs_dir.glob("*-lr-find-default")
    (run_dir,) = runs_dir.glob("*-applied")
    status = json.loads((sweep_dir / "status.json").read_text())
    assert status["kind"] == "lr_find" and status["rule"] == "steepest"
    suggested = float(f"{status['suggested_lr']:.2g}")
    assert yaml.safe_load((run_dir / "preset.yaml").read_text())["optim"]["lr"] == suggested
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    started = next(e for e in events if e["type"] == "run_started")
    assert started["lr"] == pytest.approx(suggested)
    assert events[-1]["type"] == "finished"
    rows = (sweep_dir / "lr_find.csv").read_text().splitlines()
    assert rows[0] == "step,lr,loss,smoothed_loss" and len(rows) == status["steps"] + 1


def test_runs_lists_the_sweep_with_its_rate(
    applied: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    runs_dir, _ = applied
    assert main(["runs", "--runs-dir", str(runs_dir)]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    sweep = next(row.split() for row in rows if "lr-find-default" in row)
    status = json.loads(next(runs_dir.glob("*-lr-find-default/status.json")).read_text())
    assert sweep[2:6] == ["finished", "lr-find", "lr", f"{status['suggested_lr']:.2g}"]


def test_a_range_upside_down_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lr-find", "default", "--start-lr", "1", "--end-lr", "0.1"]) == 2
    assert "--start-lr 1 must be below --end-lr 0.1" in capsys.readouterr().err
