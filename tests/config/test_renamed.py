"""`control:`, the old name of the `monitor:` section, still reads, with a placed warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.cli import main
from tuitrain.config.loader import PresetError, load_preset


def test_the_old_section_name_reads_with_a_warning_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("extends: default\n# the monitor's settings\ncontrol:\n  lr_factor: 0.25\n")
    loaded = load_preset(str(path))
    assert loaded.preset.monitor.lr_factor == 0.25
    assert "control" not in loaded.resolved and loaded.resolved["monitor"]["lr_factor"] == 0.25
    assert loaded.advice == [
        f"{path}:3:1: warning: control: renamed to `monitor`; write `monitor:` "
        "(`control:` still reads)"
    ]


def test_an_old_name_in_a_parent_is_placed_in_the_parent(tmp_path: Path) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text("extends: default\ncontrol: {confirm_quit: false}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nmonitor: {lr_factor: 0.2}\n")
    loaded = load_preset(str(child))
    assert (loaded.preset.monitor.lr_factor, loaded.preset.monitor.confirm_quit) == (0.2, False)
    [warning] = loaded.advice
    assert warning.startswith(f"{parent}:2:1: warning: control: renamed to `monitor`")


def test_set_with_the_old_name_is_placed_at_the_option() -> None:
    loaded = load_preset("default", ["control.lr_factor=0.3"])
    assert loaded.preset.monitor.lr_factor == 0.3
    assert loaded.advice == [
        "--set control.lr_factor=0.3: warning: control: renamed to `monitor`; write `monitor:` "
        "(`control:` still reads)"
    ]


def test_both_names_in_one_file_is_a_placed_error(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text("monitor: {lr_factor: 0.2}\ncontrol: {lr_factor: 0.3}\n")
    with pytest.raises(PresetError) as caught:
        load_preset(str(path))
    assert str(caught.value).startswith(f"{path}:2:1: control: is the old name of `monitor`")


def test_validate_prints_the_warning_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.yaml"
    path.write_text("control:\n  confirm_quit: false\n")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:1:1: warning: control: renamed to `monitor`" in out
