"""`tuitrain study` on the command line: bad input is said with its place and exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.cli import main


def test_a_bad_study_file_exits_2_listing_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("variants:\n  - preset: sgd\n    set: {optim.lr: -1}\n")
    assert main(["study", str(bad), "--studies-dir", str(tmp_path / "studies")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tuitrain: error: 1 problem in the study:\n")
    assert f"{bad}:3:21: optim.lr = -1: must be greater than 0" in err
    assert not (tmp_path / "studies").exists()  # nothing created for a study that cannot run


def test_resume_needs_a_study_directory_and_no_new_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["study", "--resume", str(tmp_path)]) == 2
    assert "is not a study directory (it has no plan.json)" in capsys.readouterr().err
    assert main(["study", "--resume", str(tmp_path), "--set", "optim.lr=1"]) == 2
    assert "runs the study's own plan" in capsys.readouterr().err


def test_the_bundled_studies_are_listed_and_each_one_loads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["study", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == [
        "augmentation",
        "batch-size",
        "input-norm",
        "normalization",
        "optimizers",
        "schedules",
    ]
    for name in names:
        assert main(["study", name, "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "variants x 3 seeds" in out.splitlines()[0] and "claim: " in out
