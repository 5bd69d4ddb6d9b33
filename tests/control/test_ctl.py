"""`tuitrain ctl` against a fake run over a real socket: every command, refusals, bad input."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from tests.control.harness import FakeRun
from tuitrain.control import ctl
from tuitrain.exitcodes import BAD_INPUT, NOT_RUNNING, REFUSED

STEP = r"\d+"


def run_ctl(runs_dir: Path, run: str, action: str, value: float | None = None):
    out, err = io.StringIO(), io.StringIO()
    code = ctl.ctl_main(run, action, value, runs_dir, out=out, err=err)
    return code, out.getvalue().strip(), err.getvalue().strip()


def logged(run_dir: Path) -> list[dict]:
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("action", "value", "line"),
    [
        ("pause", None, rf"paused at step {STEP}"),
        (
            "lr-scale",
            0.5,
            rf"learning rate 0\.1 -> 0\.05 \(x0\.5\) at step {STEP}; your scale on the schedule "
            r"is now x0\.5",
        ),
        (
            "lr",
            0.02,
            rf"learning rate 0\.1 -> 0\.02 \(set to 0\.02\) at step {STEP}; your scale on the "
            r"schedule is now x0\.2",
        ),
        ("checkpoint", None, rf"checkpoint saved: .*/checkpoints/last\.pt \(step {STEP}\)"),
        ("validate", None, rf"validated at step {STEP}: val loss 0\.2500, val acc 87\.5%"),
        ("stop", None, rf"stopped at step {STEP} \(1 epochs complete\)"),
    ],
)
def test_each_command_is_applied_and_acknowledged(
    fake_run: FakeRun, runs_dir: Path, action: str, value: float | None, line: str
) -> None:
    code, out, err = run_ctl(runs_dir, fake_run.run_dir.name, action, value)
    assert (code, err) == (0, "")
    assert re.fullmatch(line, out), out
    applied = fake_run.trainer.applied[-1]
    assert applied.name == action.replace("-", "_") and applied.source == "ctl"
    answers = [e for e in logged(fake_run.run_dir) if e.get("cmd_id") == applied.id]
    assert len(answers) == 1 and answers[0]["source"] == "ctl"


def test_pause_then_resume_and_the_run_goes_on(fake_run: FakeRun, runs_dir: Path) -> None:
    assert run_ctl(runs_dir, "tiny", "pause")[0] == 0
    assert fake_run.trainer.paused
    code, out, _ = run_ctl(runs_dir, "tiny", "resume")
    assert code == 0 and re.fullmatch(rf"resumed at step {STEP} after 0:00 paused", out)
    fake_run.wait_steps(5)


def test_a_refusal_by_the_run_exits_1_with_its_reason(fake_run: FakeRun, runs_dir: Path) -> None:
    code, out, err = run_ctl(runs_dir, "tiny", "resume")
    assert (code, out) == (REFUSED, "")
    assert err == f"tuitrain ctl: {fake_run.run_dir.name} refused resume: not paused"
    code, _, err = run_ctl(runs_dir, "tiny", "lr-scale", 5000.0)
    assert code == REFUSED and "the learning rate would become 500" in err


@pytest.mark.parametrize(
    ("action", "value", "message"),
    [
        ("lr-scale", float("nan"), "factor must be a finite number"),
        ("lr-scale", 0.0, "factor must be a finite number"),
        ("lr", -0.1, "value must be a finite number"),
        ("lr", None, "lr needs a value"),
        ("pause", 3.0, "pause takes no value"),
        ("explode", None, "unknown action 'explode'"),
    ],
)
def test_bad_input_exits_2_before_reaching_the_run(
    fake_run: FakeRun, runs_dir: Path, action: str, value: float | None, message: str
) -> None:
    code, out, err = run_ctl(runs_dir, "tiny", action, value)
    assert (code, out) == (BAD_INPUT, "")
    assert message in err
    assert fake_run.trainer.applied == []


def test_a_stopped_run_is_reported_not_running(fake_run: FakeRun, runs_dir: Path) -> None:
    assert run_ctl(runs_dir, "tiny", "stop")[0] == 0
    fake_run.stop()
    code, out, err = run_ctl(runs_dir, "tiny", "pause")
    assert (code, out) == (NOT_RUNNING, "")
    assert err == f"tuitrain ctl: run {fake_run.run_dir.name} is not running (status: stopped)"


def test_a_run_that_never_had_a_socket_is_not_running(runs_dir: Path) -> None:
    run_dir = runs_dir / "20261127-090000-old"
    run_dir.mkdir()
    (run_dir / "status.json").write_text(json.dumps({"status": "completed", "pid": 1}))
    code, _, err = run_ctl(runs_dir, "old", "pause")
    assert code == NOT_RUNNING
    assert err.endswith("is not running (status: completed)")


def test_unknown_and_ambiguous_runs_are_bad_input(runs_dir: Path) -> None:
    for name in ("20261127-090000-alpha", "20261127-100000-alpha", "20261127-110000-beta"):
        (runs_dir / name).mkdir()
        (runs_dir / name / "status.json").write_text('{"status": "completed"}')
    code, _, err = run_ctl(runs_dir, "gamma", "pause")
    assert code == BAD_INPUT and "no run named 'gamma'" in err
    code, _, err = run_ctl(runs_dir, "alph", "pause")
    assert code == BAD_INPUT and "'alph' matches 2 runs" in err
    assert "20261127-090000-alpha (completed)" in err and "20261127-100000-alpha" in err
    # A name two runs share is no prefix: the newest is meant, and the user hears of both.
    code, _, err = run_ctl(runs_dir, "alpha", "pause")
    assert code == NOT_RUNNING and "taking the newest, 20261127-100000-alpha" in err
    assert "run 20261127-100000-alpha is not running" in err
    assert run_ctl(runs_dir, "20261127-11", "pause")[0] == NOT_RUNNING  # unique: found


def test_a_run_directory_path_works_from_anywhere(fake_run: FakeRun, short_tmp: Path) -> None:
    code, out, _ = run_ctl(short_tmp / "elsewhere", str(fake_run.run_dir), "validate")
    assert code == 0 and out.startswith("validated at step")
