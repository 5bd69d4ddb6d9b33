"""A preset's values as written: no boolean passes for a number, and a rule broken by two values
points at the one the user wrote rather than at one inherited from a parent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.config.loader import PresetError, load_preset


def problems(path: Path, *overrides: str) -> list[str]:
    with pytest.raises(PresetError) as caught:
        load_preset(str(path), overrides)
    return str(caught.value).splitlines()


def test_a_boolean_where_a_number_belongs_is_refused_at_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bools.yaml"
    path.write_text(
        "extends: default\n"
        "optim: {lr: true}\n"
        "model: {widths: [16, true, 64]}\n"
        "data: {size: false}\n"
        "monitor: {refresh_hz: true, confirm_quit: true}\n"
    )
    assert problems(path) == [
        f"{path}:2:13: optim.lr = true: must be a number (allowed: 0 < lr <= 100)",
        f"{path}:3:22: model.widths[1] = true: must be a whole number"
        " (allowed: 1 <= widths <= 4096)",
        f"{path}:4:14: data.size = false: must be a whole number (allowed: 20 <= size <= 1000000)",
        f"{path}:5:23: monitor.refresh_hz = true: must be a number"
        " (allowed: 0 < refresh_hz <= 10) or 'auto'",
    ]


def test_a_boolean_number_is_refused_on_the_command_line_too() -> None:
    with pytest.raises(PresetError) as caught:
        load_preset("default", ["optim.kind=adam", "optim.betas=[0.9, true]"])
    assert str(caught.value) == (
        "--set optim.betas=[0.9, true]: optim.betas[1] = true: must be a number"
        " (allowed: 0 <= betas < 1)"
    )


def test_an_int_where_a_float_is_expected_stays_fine(tmp_path: Path) -> None:
    path = tmp_path / "ints.yaml"
    path.write_text("extends: default\noptim: {lr: 1, momentum: 0}\nmonitor: {lr_factor: 0.5}\n")
    preset = load_preset(str(path)).preset
    assert (preset.optim.lr, preset.optim.momentum) == (1.0, 0.0)
    assert isinstance(preset.optim.lr, float)


def test_no_validation_data_points_at_the_val_split_the_user_wrote(tmp_path: Path) -> None:
    path = tmp_path / "noval.yaml"
    path.write_text("extends: default\n# no validation\ndata: {val_split: 0}\n")
    said = (
        "data.val_split = 0: leaves no validation data, which schedule.monitor = 'val_loss' "
        "needs; set data.val_split above 0 (0.1 is usual) or monitor a train_ metric"
    )
    assert problems(path) == [f"{path}:3:19: {said}"]
    assert problems(tmp_path / "noval.yaml", "data.val_split=0.0") == [
        f"--set data.val_split=0.0: {said}"
    ]


def test_an_inherited_split_leaves_the_error_at_the_monitor_the_user_wrote(
    tmp_path: Path,
) -> None:
    parent = tmp_path / "parent.yaml"
    parent.write_text("extends: default\ndata: {val_split: 0}\nschedule: {monitor: train_loss}\n")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nschedule: {monitor: val_acc}\n")
    [problem] = problems(child)
    assert problem.startswith(f"{child}:2:21: schedule.monitor = 'val_acc': needs validation data")


def test_a_run_shorter_than_the_warmup_points_at_the_epochs_written(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("extends: warmup-cosine\ntrain: {epochs: 1}\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2:17: train.epochs = 1: must be longer than the warmup")
