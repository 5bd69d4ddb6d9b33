"""File names whose bytes are not UTF-8 reach events.jsonl and status.json as valid UTF-8."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tuitrain.engine import events as ev
from tuitrain.runs.log import RunLog
from tuitrain.runs.rundir import RunDirectory
from tuitrain.textsafe import valid_text

LONE_SURROGATE = re.compile(rb"\\ud[89a-f][0-9a-f]{2}", re.IGNORECASE)


def strict_json_lines(path: Path) -> list[object]:
    """Each line as a strict reader would take it: UTF-8 with no lone surrogate escapes."""
    data = path.read_bytes()
    assert not LONE_SURROGATE.search(data), data
    return [json.loads(line) for line in data.decode("utf-8", errors="strict").splitlines()]


def test_undecodable_bytes_become_backslash_x_text() -> None:
    name = os.fsdecode(b"caf\xe9-\xff.png")  # Latin-1 bytes in a UTF-8 system
    assert valid_text(name) == "caf\\xe9-\\xff.png"
    assert valid_text("café ✓.png") == "café ✓.png"  # real UTF-8 is kept as it is
    assert valid_text("\ud800") == "\\ud800"


def test_a_run_in_a_folder_with_a_latin1_name_writes_valid_utf8(tmp_path: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/d\xe9j\xe0"))
    folder.mkdir()  # a real folder whose name is not UTF-8
    run = RunDirectory.create(folder, "run")
    log = RunLog(run, preset_name=os.fsdecode(b"pr\xe9set"), epochs=1)
    log(ev.Log(message=f"listing images in {folder}"))
    log.set_control(str(run.path / "control.sock"))
    log.close()
    [event] = strict_json_lines(run.events_path)
    assert event["message"] == f"listing images in {valid_text(str(folder))}"  # type: ignore[index]
    [status] = [json.loads((run.path / "status.json").read_bytes().decode("utf-8"))]
    assert status["preset_name"] == "pr\\xe9set"
    assert status["control"].endswith("d\\xe9j\\xe0/" + run.name + "/control.sock")
    assert not LONE_SURROGATE.search((run.path / "status.json").read_bytes())
