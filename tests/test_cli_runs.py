"""run, runs, export and resume through the command line, on one real tiny run."""

from __future__ import annotations

import builtins
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from tuitrain.cli import main

TINY = [
    "--set", "data.size=120", "--set", "data.image_size=16", "--set", "data.batch_size=16",
    "--set", "model.widths=[8,16]", "--set", "model.blocks=1", "--set", "train.epochs=2",
]  # fmt: skip


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs_dir = tmp_path_factory.mktemp("cli") / "runs"
    argv = ["run", "default", *TINY, "--headless", "--runs-dir", str(runs_dir), "--name", "tiny"]
    assert main(argv) == 0
    (run,) = runs_dir.iterdir()
    return run


def test_runs_lists_the_run(finished: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["runs", "--runs-dir", str(finished.parent)]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["RUN", "PRESET", "STATUS", "EPOCHS"]
    assert row.split()[:4] == [finished.name, "default", "finished", "2/2"]
    assert main(["runs", "--runs-dir", str(finished.parent), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["state"] == "finished" and entry["epoch"] == 2


def test_export_csv_has_a_row_per_epoch_and_per_report(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["export", str(finished)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["epoch"] for row in rows] == ["1", "2"]
    metrics = list(csv.DictReader((finished / "metrics.csv").open()))
    assert [r["val_acc"] for r in rows] == [r["val_acc"] for r in metrics]
    out = finished.parent / "steps.csv"
    assert main(["export", str(finished), "--steps", "--out", str(out)]) == 0
    steps = list(csv.DictReader(out.open()))
    assert steps and int(steps[-1]["step"]) == 12


def test_export_per_class_accuracy_per_epoch_and_the_last_confusion_matrix(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = [json.loads(line) for line in (finished / "events.jsonl").read_text().splitlines()]
    counted = [e for e in events if e["type"] == "classes"]
    epochs = [e for e in events if e["type"] == "epoch"]
    assert len(counted) == 2  # one per validation, each after its validated event
    capsys.readouterr()
    assert main(["export", str(finished), "--classes"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["epoch", "step", *counted[0]["names"]]
    assert [row[0] for row in rows[1:]] == ["1", "2"]
    for row, epoch, classes in zip(rows[1:], epochs, counted, strict=True):
        assert [float(a) for a in row[2:] if a] == [a for a in classes["acc"] if a is not None]
        total = sum(map(sum, classes["matrix"]))
        right = sum(classes["matrix"][i][i] for i in range(len(classes["matrix"])))
        assert right / total == pytest.approx(epoch["val_acc"])  # the same validation
    out = finished.parent / "confusion.csv"
    assert main(["export", str(finished), "--confusion", "--out", str(out)]) == 0
    matrix = list(csv.reader(out.open()))
    assert matrix[0][1:] == counted[-1]["names"]
    assert [[int(n) for n in row[1:]] for row in matrix[1:]] == counted[-1]["matrix"]


def test_export_tensorboard_writes_event_files(finished: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = finished.parent / "tb"
    assert main(["export", str(finished), "--format", "tensorboard", "--out", str(out)]) == 0
    assert list(out.glob("events.out.tfevents.*"))
    # What TensorBoard will show: the epoch curves of metrics.csv, and the step curves, all on
    # the global step so they line up on TensorBoard's step axis.
    written = EventAccumulator(str(out))
    written.Reload()
    metrics = list(csv.DictReader((finished / "metrics.csv").open()))
    val_acc = written.Scalars("epoch/val_accuracy")
    assert [e.step for e in val_acc] == [int(r["step"]) for r in metrics]
    assert [e.value for e in val_acc] == pytest.approx([float(r["val_acc"]) for r in metrics])
    epochs = written.Scalars("epoch/epoch")
    assert [(e.step, e.value) for e in epochs] == [
        (int(r["step"]), int(r["epoch"])) for r in metrics
    ]
    assert written.Scalars("step/loss")[-1].step == int(metrics[-1]["step"])


def test_exporting_to_tensorboard_again_replaces_the_previous_export(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = finished.parent / "tb-twice"
    argv = ["export", str(finished), "--format", "tensorboard", "--out", str(out)]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(argv) == 0
    assert "replaced the previous export" in capsys.readouterr().out
    assert len(list(out.glob("events.out.tfevents.*"))) == 1
    written = EventAccumulator(str(out))
    written.Reload()
    steps = [e.step for e in written.Scalars("epoch/val_accuracy")]
    assert len(steps) == len(set(steps)) == 2  # each point once


@pytest.mark.parametrize(
    ("direct_url", "hint"),
    [
        (None, "pip install 'tuitrain[tensorboard]'"),
        ('{"url": "file:///src/tuitrain", "dir_info": {"editable": true}}',
         "pip install -e '/src/tuitrain[tensorboard]'"),
    ],
)  # fmt: skip
def test_export_tensorboard_without_tensorboard_says_how_to_get_it(
    finished: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    direct_url: str | None,
    hint: str,
) -> None:
    from importlib import metadata

    real_import = builtins.__import__

    def no_tensorboard(name: str, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    class Installed:
        def read_text(self, name: str) -> str | None:
            return direct_url if name == "direct_url.json" else None

    monkeypatch.setattr(metadata, "distribution", lambda name: Installed())
    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    out = finished.parent / "never-made" / "tb"
    argv = ["export", str(finished), "--format", "tensorboard", "--out", str(out)]
    assert main(argv) == 2
    assert f"hint: {hint}" in capsys.readouterr().err
    assert not out.parent.exists()  # a failed export leaves no empty folder


def test_resuming_a_finished_run_asks_for_more_epochs(
    finished: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["resume", str(finished), "--headless"]) == 2
    assert "--epochs 12" in capsys.readouterr().err
    assert main(["resume", str(finished), "--headless", "--epochs", "3"]) == 0
    epochs = [json.loads(line) for line in (finished / "events.jsonl").open()]
    ended = [e["epoch"] for e in epochs if e["type"] == "epoch"]
    assert ended == [1, 2, 3]


def test_an_unknown_run_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "nope", "--runs-dir", str(tmp_path)]) == 2
    assert "no run named 'nope'" in capsys.readouterr().err


def test_the_runs_folder_comes_from_the_environment_when_not_given(
    finished: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # a new SSH session, elsewhere than the batch job
    assert main(["runs"]) == 0
    assert f"no runs in {tmp_path / 'runs'}" in capsys.readouterr().err
    monkeypatch.setenv("TUITRAIN_RUNS_DIR", str(finished.parent))
    assert main(["runs"]) == 0
    assert finished.name in capsys.readouterr().out


def test_resume_from_a_tagged_checkpoint_without_contents_is_a_clear_error(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    run = tmp_path / finished.name
    shutil.copytree(finished, run)
    for checkpoint in (run / "checkpoints").iterdir():
        checkpoint.unlink()
    torch.save({"format": "tuitrain-checkpoint"}, run / "checkpoints" / "last.pt")
    capsys.readouterr()
    assert main(["resume", str(run), "--headless"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KeyError" not in err
    assert "nothing to resume from" in err and "last.pt is unreadable" in err
    assert "no progress record" in err


def test_resume_says_why_it_passed_over_the_newest_checkpoint(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    run = tmp_path / finished.name
    shutil.copytree(finished, run)
    torch.save({"format": "tuitrain-checkpoint"}, run / "checkpoints" / "last.pt")
    capsys.readouterr()
    # The fallback has every epoch trained: the run has nothing left to do, and says so.
    assert main(["resume", str(run), "--headless"]) == 2
    err = capsys.readouterr().err
    assert "warning: skipped a newer checkpoint" in err and "no progress record" in err
    assert "already trained all" in err


@pytest.mark.parametrize(
    ("argv", "out", "problem"),
    [
        ([], "missing/metrics.csv", "no such directory: {tmp}/missing"),
        ([], ".", "is a directory; --out takes a file for csv"),
        ([], "a-file/metrics.csv", "{tmp}/a-file is not a directory"),
        (
            ["--format", "tensorboard"],
            "a-file",
            "exists and is not a directory; --format tensorboard writes a directory",
        ),
        (
            ["--format", "tensorboard"],
            "a-file/tb",
            "cannot create the directory: Not a directory",
        ),
    ],
)
def test_export_to_a_path_it_cannot_write_is_a_one_line_error(
    finished: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    out: str,
    problem: str,
) -> None:
    (tmp_path / "a-file").write_text("keep me\n")
    target = tmp_path / out if out != "." else tmp_path
    capsys.readouterr()
    assert main(["export", str(finished), *argv, "--out", str(target)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"tuitrain export: {target}: {problem.format(tmp=tmp_path)}\n"
    assert captured.out == ""
    assert (tmp_path / "a-file").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_export_skips_lines_that_are_not_events_and_says_so_once(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / finished.name
    shutil.copytree(finished, damaged)
    lines = (damaged / "events.jsonl").read_text().splitlines(keepends=True)
    lines[1:1] = ["null\n", "42\n", '"s"\n', "[1,2]\n"]
    (damaged / "events.jsonl").write_text("".join(lines))
    capsys.readouterr()
    assert main(["export", str(damaged)]) == 0
    out, err = capsys.readouterr()
    epochs = [row["epoch"] for row in csv.DictReader((finished / "metrics.csv").open())]
    assert [row["epoch"] for row in csv.DictReader(io.StringIO(out))] == epochs
    assert err.count("skipped 4 lines") == 1 and "not events" in err


def test_a_resumed_run_records_absolute_paths_as_a_new_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUITRAIN_RUNS_DIR", raising=False)
    argv = ["run", "default", *TINY, "--set", "train.epochs=1", "--headless", "--name", "rel"]
    assert main(argv) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert main(["resume", "rel", "--headless", "--epochs", "2"]) == 0
    events = [json.loads(line) for line in (run / "events.jsonl").open()]
    started = [e["run_dir"] for e in events if e["type"] == "run_started"]
    saved = [e["path"] for e in events if e["type"] == "checkpoint"]
    assert len(started) == 2 and saved
    assert all(path.startswith(str(tmp_path)) for path in [*started, *saved]), (started, saved)


def test_a_run_lists_the_image_files_it_cannot_read_in_its_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.data.test_bad_files import bad_files, good_folder

    good_folder(tmp_path / "images")
    bad_files(tmp_path / "images")
    data = ["--set", "data.kind=imagefolder", "--set", f"data.root={tmp_path / 'images'}"]
    data += ["--set", "data.image_size=8", "--set", "data.batch_size=4"]
    argv = ["run", "default", *TINY, *data, "--headless", "--runs-dir", str(tmp_path / "runs")]
    capsys.readouterr()
    assert main([*argv, "--name", "refused"]) == 2
    (refused,) = (tmp_path / "runs").glob("*-refused")
    listed = refused / "skipped_files.txt"
    assert f"the full list is in {listed}" in capsys.readouterr().out
    assert len(listed.read_text().splitlines()) == 4  # the truncated one is never decoded
    assert main([*argv, "--name", "ok", "--set", "data.max_bad_fraction=0.3"]) == 0
    (ok,) = (tmp_path / "runs").glob("*-ok")
    rows = (ok / "skipped_files.txt").read_text().splitlines()
    assert len(rows) == 5 and "cut.jpg\timage file is truncated" in rows[-1]
