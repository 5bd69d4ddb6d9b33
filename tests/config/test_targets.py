"""model.target and data.target: anchored to the preset's folder, refused when unsafe."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tuitrain.config.loader import PresetError, load_preset

USER = Path(__file__).resolve().parents[1] / "fixtures" / "user"


def test_a_file_target_is_made_absolute_against_the_folder_of_the_preset_that_wrote_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # elsewhere: the preset still finds its neighbours
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {USER / 'user.yaml'}\ntrain: {{epochs: 1}}\n")
    preset = load_preset(str(child)).preset
    assert preset.model.target == f"{USER / 'nets.py'}:TinyNet"
    assert preset.data.target == f"{USER / 'corners.py'}:make"


def test_a_file_target_given_with_set_is_relative_to_the_working_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(USER)
    preset = load_preset("default", ["model.kind=python", "model.target=nets.py:make_net"]).preset
    assert preset.model.target == f"{USER / 'nets.py'}:make_net"


@pytest.mark.parametrize(
    "target",
    ["os:system", "subprocess:run", "builtins:eval", "pickle:loads", "json:loads", "shutil:rmtree"],
)
def test_a_target_in_the_standard_library_or_the_denylist_is_refused(target: str) -> None:
    with pytest.raises(PresetError) as caught:
        load_preset("default", ["model.kind=python", f"model.target={target}"])
    message = str(caught.value)
    assert f"model.target = {target!r}" in message
    assert f"module {target.split(':')[0]!r} is refused" in message


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("nets.py", "is not a target; write 'file.py:Name'"),
        ("missing.py:Net", "no such file"),
        ("nets.txt/x:Net", "is not a Python file"),
        ("nets.py:1abc", "is not a Python name"),
    ],
)
def test_a_malformed_or_missing_target_is_placed_at_its_key(
    target: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(USER)
    with pytest.raises(PresetError) as caught:
        load_preset("default", ["data.kind=python", f"data.target={target}"])
    assert f"--set data.target={target}: data.target" in str(caught.value)
    assert expected in str(caught.value)


def test_timm_missing_is_refused_with_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "timm", None)  # as if it were not installed
    with pytest.raises(PresetError) as caught:
        load_preset("default", ["model.kind=timm", "model.name=resnet18"])
    assert "model kind timm needs the timm package: pip install 'tuitrain[timm]'" in str(
        caught.value
    )
