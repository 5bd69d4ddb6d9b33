"""The command line: exit codes, what it prints, and that it runs as a script and a module."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tuitrain import __version__, cli, cli_runs
from tuitrain.cli import Command, main, parse
from tuitrain.config.bundled import bundled_names
from tuitrain.config.document import Location
from tuitrain.config.problems import PresetError, Problem
from tuitrain.errors import UserError

REPO = Path(__file__).resolve().parents[1]
BAD = REPO / "tests" / "config" / "bad"
SCRIPT = Path(sys.executable).with_name("tuitrain")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bare_tuitrain_runs_the_default_preset() -> None:
    args = parse([])
    assert args.handler is cli_runs.run and args.preset == "default" and args.overrides == []


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: tuitrain")
    names = ("run", "resume", "runs", "export", "view", "compare", "attach", "ctl", "validate")
    for name in (*names, "presets", "schema"):
        assert f"    {name} " in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version")[:2] == (0, f"tuitrain {__version__}\n")


@pytest.mark.parametrize(
    "command",
    ["run", "resume", "runs", "export", "view", "compare", "attach", "ctl", "validate", "presets"],
)
def test_each_command_has_short_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: tuitrain {command}")
    assert len(out.splitlines()) <= 30


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "trian")
    assert code == 2
    assert "invalid choice: 'trian'" in err
    assert run(capsys, "validate")[0] == 2  # PRESET is required


def test_validate_prints_ok_and_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    preset = tmp_path / "odd.yaml"
    preset.write_text("extends: default\ndata: {batch_size: 96}\n")
    code, out, err = run(capsys, "validate", "default", str(preset))
    assert (code, err) == (0, "")
    remark = "96 is not a power of two; 64, 128 or 256 usually run faster on GPUs"
    assert out.splitlines() == [
        "ok  presets/default.yaml",
        f"ok  {preset}",
        f"    {preset}:2:20: warning: data.batch_size: {remark}",
    ]


def test_validate_applies_every_set_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["validate", "default", "--set", "optim.kind=adam", "--set", "optim.lr=0.2"]
    code, out, _ = run(capsys, *args)
    assert code == 0  # adam at 0.2 is allowed, but remarked upon
    assert "--set optim.lr=0.2: warning: optim.lr: 0.2 is high for Adam" in out
    # naming a new kind afterwards replaces the whole section, the rate with it
    code, out, _ = run(capsys, *args[:2], *args[4:], *args[2:4])
    assert (code, out.count("warning")) == (0, 0)


def test_validate_all_bundled_presets(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(path) for path in (REPO / "presets").glob("*.yaml"))
    code, out, err = run(capsys, "validate", *files)
    assert (code, err) == (0, "")
    assert out.count("ok  ") == len(files) == len(bundled_names())
    assert "warning" not in out


def test_presets_lists_names_and_descriptions_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets")
    lines = out.splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines] == bundled_names()
    width = max(len(name) for name in bundled_names()) + 2
    assert all(line[width - 2 : width] == "  " and line[width] != " " for line in lines)
    assert any(line.startswith("default ") and "SGD with momentum" in line for line in lines)


def test_the_committed_schema_is_the_commands_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == (REPO / "docs" / "preset.schema.json").read_text()
    assert '"extends"' in out and "relative to this file" in out


def _with_command(monkeypatch: pytest.MonkeyPatch, failure: BaseException) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise failure

    command = Command("boom", "fail on purpose", lambda parser: None, fail)
    monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, command])


def test_a_user_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_command(monkeypatch, UserError("runs/x is not a run directory", hint="see tuitrain runs"))
    code, out, err = run(capsys, "boom")
    assert (code, out) == (2, "")
    assert err == "tuitrain: error: runs/x is not a run directory\n  hint: see tuitrain runs\n"


def test_a_preset_error_lists_its_problems(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    where = Location("p.yaml", 3, 7)
    problems = [Problem(where, "optim.lr = 0", "must be greater than 0"), Problem(where, "", "x")]
    _with_command(monkeypatch, PresetError(problems))
    code, _, err = run(capsys, "boom")
    assert code == 2
    assert err.splitlines() == [
        "tuitrain: error: 2 problems in the preset:",
        "p.yaml:3:7: optim.lr = 0: must be greater than 0",
        "p.yaml:3:7: x",
    ]


def test_ctrl_c_exits_130_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _with_command(monkeypatch, KeyboardInterrupt())
    assert run(capsys, "boom") == (130, "", "")


def _subprocess(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning"}
    return subprocess.run(
        argv, capture_output=True, text=True, cwd=REPO, env=env, timeout=60, check=False
    )


def test_python_dash_m_tuitrain() -> None:
    result = _subprocess(sys.executable, "-m", "tuitrain", "--help")
    assert result.returncode == 0
    assert "validate" in result.stdout


def test_the_console_script_gives_exit_codes() -> None:
    assert SCRIPT.exists()
    bad = _subprocess(str(SCRIPT), "validate", str(BAD / "lr-nan.yaml"), "--set", "train.epochs=x")
    assert bad.returncode == 2
    assert "lr-nan.yaml:4:7: optim.lr = .nan: must be a finite number" in bad.stderr
    assert "--set train.epochs=x: train.epochs = 'x': must be a whole number" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert _subprocess(str(SCRIPT), "validate", "default").returncode == 0
