"""`tuitrain study` end to end: real tiny runs in their own processes, a stop, a resume."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from tests.e2e.helpers import TUITRAIN, of_type, read_events, wait_until

TINY_SET = """set:
  data.size: 100
  data.image_size: 16
  data.batch_size: 16
  model.widths: [8, 16]
  train.device: cpu
  train.report.seconds: 0.05
"""


def study_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_SET + body, encoding="utf-8")
    return path


def study(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    argv = [TUITRAIN, "study", *args, "--headless", "--studies-dir", str(cwd / "studies")]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def the_study(tmp_path: Path) -> Path:
    [directory] = list((tmp_path / "studies").iterdir())
    return directory


def status(run_dir: Path) -> dict:
    return json.loads((run_dir / "status.json").read_text())


def test_a_tiny_study_trains_every_variant_and_seed_and_writes_its_table(tmp_path: Path) -> None:
    """...and goes on when its terminal hangs up (SIGHUP), its lines then in console.log."""
    body = (
        "  train.epochs: 1\nvariants: [{preset: sgd}, {preset: momentum}]\nseeds: 2\n"
        "target_acc: 0.05\nclaims: ['momentum beats sgd on best val_acc']\n"
    )
    argv = [TUITRAIN, "study", str(study_file(tmp_path, body)), "--parallel", "2", "--headless"]
    argv += ["--studies-dir", str(tmp_path / "studies")]
    process = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        # A run directory: the study's signal handlers are in place before any run starts.
        wait_until(lambda: list((tmp_path / "studies").glob("*/runs/*")), 120, "a first run")
        process.send_signal(signal.SIGHUP)
        before, _ = process.communicate(timeout=240)
    finally:
        process.kill()
    assert process.returncode == 0, before
    directory = the_study(tmp_path)
    after = (directory / "console.log").read_text()
    plan = json.loads((directory / "plan.json").read_text())
    assert [(run["variant"], run["seed"]) for run in plan["runs"]] == [
        ("sgd", 0),
        ("momentum", 0),
        ("sgd", 1),
        ("momentum", 1),
    ]
    for run in plan["runs"]:
        run_dir = directory / run["dir"]
        assert status(run_dir)["status"] == "completed"
        assert f"seed: {run['seed']}" in (run_dir / "preset.yaml").read_text()
        assert len((run_dir / "metrics.csv").read_text().splitlines()) == 2  # header + 1 epoch
    lines = (before + after).splitlines()
    assert sum(" completed: best val " in line for line in lines) == 4
    assert any(line.startswith("| momentum | 2 | ") for line in lines)
    assert any(line.startswith("| sgd | 2 | ") for line in lines)
    assert any(": momentum beats sgd on best val_acc (momentum " in line for line in lines)
    table = (directory / "results.md").read_text()
    assert "| variant | runs | best val acc % |" in table and "## Claims" in table
    csv_rows = (directory / "results.csv").read_text().splitlines()
    assert [row.split(",")[:2] for row in csv_rows[1:]] == [["sgd", "2"], ["momentum", "2"]]
    assert len((directory / "runs.csv").read_text().splitlines()) == 5


def test_a_stopped_study_resumes_only_what_is_missing_and_the_cut_run_from_its_checkpoint(
    tmp_path: Path,
) -> None:
    body = (
        "variants:\n  - {preset: sgd, name: short, set: {train.epochs: 1}}\n"
        "  - {preset: momentum, name: long, set: {train.epochs: 30}}\n  - {preset: adam}\n"
        "seeds: 1\n"
    )
    path = study_file(tmp_path, body)
    argv = [TUITRAIN, "study", str(path), "--headless", "--studies-dir", str(tmp_path / "studies")]
    process = subprocess.Popen(
        argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:

        def long_run_checkpointed() -> Path | None:
            runs = list((tmp_path / "studies").glob("*/runs/*-long-s0"))
            return runs[0] if runs and (runs[0] / "checkpoints" / "last.pt").exists() else None

        long_dir = wait_until(long_run_checkpointed, 120, "the long run's first checkpoint")
        table = (the_study(tmp_path) / "results.md").read_text()  # written as each run ends
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 143, out
    assert "| short | 1 | " in table and "| long | 0 | - |" in table
    assert "finish with: tuitrain study --resume" in out
    assert "stopping the study: running runs save a checkpoint and end" in err
    directory = the_study(tmp_path)
    short_dir = next(directory.glob("runs/*-short-s0"))
    assert status(short_dir)["status"] == "completed"
    assert status(long_dir)["status"] == "interrupted"
    assert not list(directory.glob("runs/*-adam-s0"))  # never started: the study stopped first
    short_events = (short_dir / "events.jsonl").read_bytes()

    resumed = study("--resume", str(directory), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (short_dir / "events.jsonl").read_bytes() == short_events  # not run again
    assert len(list((directory / "runs").iterdir())) == 3
    assert status(long_dir)["status"] == "completed"
    events = read_events(long_dir)
    [back] = of_type(events, "run_resumed")
    assert back["epoch"] >= 1
    assert len((long_dir / "metrics.csv").read_text().splitlines()) == 31
    assert status(next(directory.glob("runs/*-adam-s0")))["status"] == "completed"
    assert "[2/3] long-s0 completed" in resumed.stdout
