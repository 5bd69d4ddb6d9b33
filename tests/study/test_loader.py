"""Study files: grids expand to the right variants; mistakes are placed at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.config.problems import PresetError
from tuitrain.study.loader import load_study


def write(tmp_path: Path, text: str, name: str = "study.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def problems(ref: str) -> list[str]:
    with pytest.raises(PresetError) as caught:
        load_study(ref)
    return [str(problem) for problem in caught.value.problems]


def test_a_grid_crosses_every_value_with_every_variant(tmp_path: Path) -> None:
    ref = write(
        tmp_path,
        "set: {train.epochs: 3}\n"
        "variants:\n"
        "  - preset: sgd\n"
        "  - {preset: momentum, name: heavy, set: {optim.lr: 0.02}}\n"
        "grid:\n"
        "  optim.weight_decay: [0.0, 0.001]\n"
        "  model.norm: [batch, none]\n",
    )
    study = load_study(ref)
    names = [variant.name for variant in study.variants]
    assert names == [
        f"{base}-weight_decay={wd}-norm={norm}"
        for base in ("sgd", "heavy")
        for wd in ("0", "0.001")
        for norm in ("batch", "none")
    ]
    presets = {variant.name: variant.loaded.preset for variant in study.variants}
    chosen = presets["heavy-weight_decay=0.001-norm=none"]
    assert chosen.optim.lr == 0.02
    assert chosen.optim.weight_decay == 0.001
    assert chosen.model.norm == "none"
    assert chosen.train.epochs == 3
    assert presets["sgd-weight_decay=0-norm=batch"].optim.momentum == 0.0  # sgd's own setting
    assert study.seeds == [0, 1, 2]


def test_a_variant_grid_and_a_preset_file_beside_the_study(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("extends: default\noptim: {kind: adam, lr: 0.001}\n")
    ref = write(
        tmp_path,
        "seeds: 2\nvariants:\n  - preset: mine.yaml\n    grid: {optim.lr: [0.001, 0.0003]}\n"
        "claims: ['mine-lr=0.001 beats mine-lr=0.0003 on final val_loss']\n",
    )
    study = load_study(ref)
    assert [v.loaded.preset.optim.lr for v in study.variants] == [0.001, 0.0003]
    assert study.claims[0].metric.name == "final val_loss"
    assert study.seeds == [0, 1]


def test_a_bad_study_file_is_reported_at_file_line_col_like_a_bad_preset(tmp_path: Path) -> None:
    ref = write(
        tmp_path,
        "variants:\n  - preset: sgd\n    grd: {optim.lr: [1]}\nseeds: 0\n",
        name="bad.yaml",
    )
    assert problems(ref) == [
        f"{ref}:3:5: variants[0].grd: unknown key; did you mean 'grid'? "
        "(allowed here: grid, name, preset, set)",
        f"{ref}:4:8: seeds = 0: must be at least 1 (allowed: 1 <= seeds <= 100)",
    ]


def test_settings_presets_and_claims_are_checked_where_they_were_written(tmp_path: Path) -> None:
    ref = write(
        tmp_path,
        "set:\n  train.epochs: 0\n"
        "variants:\n  - preset: sgdd\n  - preset: momentum\n    set: {optim.lr: -1}\n",
    )
    found = problems(ref)
    assert found[0].startswith(f"{ref}:2:17: train.epochs = 0: must be at least 1")
    assert found[1].startswith(f"{ref}:4:13: no bundled preset named 'sgdd'; did you mean 'sgd'?")
    assert found[2].startswith(f"{ref}:6:21: optim.lr = -1: must be greater than 0")
    assert len(found) == 3  # the shared mistake once, not once per variant

    ref = write(
        tmp_path,
        "variants: [{preset: sgd}, {preset: momentum}]\n"
        "claims:\n  - momentun beats sgd on best val_acc\n  - momentum beats sgd on accuracy\n"
        "  - momentum is better\n",
    )
    assert problems(ref) == [
        f"{ref}:3:5: claims[0] = 'momentun beats sgd on best val_acc': no variant named "
        "'momentun'; did you mean 'momentum'? (variants: sgd, momentum)",
        f"{ref}:4:5: claims[1] = 'momentum beats sgd on accuracy': unknown measure 'accuracy' "
        "(measures: best val_acc, final val_acc, best val_loss, final val_loss, "
        "epochs to target, seconds to target, gap, time)",
        f"{ref}:5:5: claims[2] = 'momentum is better': does not read as 'A beats B on METRIC'",
    ]


def test_two_variants_of_one_name_and_a_missing_study_are_refused(tmp_path: Path) -> None:
    ref = write(tmp_path, "variants:\n  - preset: sgd\n  - preset: sgd\n")
    [problem] = problems(ref)
    assert problem.startswith(f"{ref}:3:5: variants[1]: a second variant named 'sgd'")
    [problem] = problems("optimisers")
    assert "no bundled study named 'optimisers'; did you mean 'optimizers'?" in problem
    [problem] = problems(str(tmp_path / "nowhere.yaml"))
    assert problem.endswith("nowhere.yaml: no such file")
