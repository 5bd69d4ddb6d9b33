"""Loading presets: extends and its merge rules, --set, locations, round trips, bundled presets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuitrain.config.bundled import bundled_names
from tuitrain.config.loader import LoadedPreset, PresetError, load_preset, preset_to_yaml
from tuitrain.config.optim import AdamOptim, SgdOptim

BUNDLED = bundled_names()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def problems(ref: str, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(PresetError) as caught:
        load_preset(ref, overrides)
    return str(caught.value)


def test_the_course_presets_are_all_bundled() -> None:
    assert set(BUNDLED) >= {
        "default", "sgd", "momentum", "nesterov", "rmsprop", "adam", "cosine", "warmup-cosine",
        "cyclic", "step", "onecycle", "layernorm", "groupnorm", "nonorm", "no-input-norm",
        "crop-flip", "affine", "color", "mixup", "overfit", "underfit", "cifar10-resnet18",
        "cifar10-fast", "mnist", "fashion-mnist",
    }  # fmt: skip


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_preset_validates_cleanly_and_round_trips(name: str, tmp_path: Path) -> None:
    loaded = load_preset(name)
    assert (loaded.name, loaded.advice, loaded.preset.extends) == (name, [], None)
    assert loaded.preset.description
    json.dumps(loaded.resolved)  # JSON-able, for checkpoints and events
    again = load_preset(str(write(tmp_path, "preset.yaml", preset_to_yaml(loaded.preset))))
    assert again.preset == loaded.preset


def test_bundled_children_hold_only_their_differences() -> None:
    assert load_preset("nesterov").resolved["optim"] == {
        "kind": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0005, "nesterov": True,
    }  # fmt: skip
    assert load_preset("adam").preset.optim == AdamOptim(lr=3e-4, betas=(0.9, 0.999))


def test_default_is_the_small_cpu_recipe() -> None:
    preset = load_preset("default").preset
    assert (preset.data.kind, preset.model.kind, preset.model.norm) == ("shapes", "cnn", "batch")
    assert preset.optim == SgdOptim(lr=0.05, momentum=0.9, weight_decay=0.0005)
    assert (preset.schedule.kind, preset.augment.enabled()) == ("plateau", [])


def test_a_child_merges_into_its_parent_deeply(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.yaml",
        "optim: {kind: sgd, lr: 0.1, momentum: 0.8}\nmodel: {widths: [8, 16]}\n",
    )
    child = write(
        tmp_path, "child.yaml", "extends: parent.yaml\noptim: {lr: 0.2}\nmodel: {widths: [4]}\n"
    )
    loaded = load_preset(str(child))
    assert loaded.preset.optim == SgdOptim(lr=0.2, momentum=0.8)
    assert loaded.preset.model.widths == [4]  # lists replace, they do not merge
    assert loaded.resolved["optim"] == {"kind": "sgd", "lr": 0.2, "momentum": 0.8}
    assert "extends" not in loaded.resolved
    assert (loaded.name, loaded.source) == ("child", str(child))


def test_naming_another_kind_replaces_the_parents_section(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "optim: {kind: sgd, momentum: 0.5, nesterov: true}\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\noptim: {kind: adam}\n")
    assert load_preset(str(child)).resolved["optim"] == {"kind": "adam"}


def test_a_section_without_kind_has_the_default_kind(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "optim: {momentum: 0.5}\ndata: {normalize: {}}\n")
    loaded = load_preset(str(path))
    assert loaded.resolved["optim"] == {"kind": "sgd", "momentum": 0.5}
    assert loaded.resolved["data"] == {"kind": "shapes", "normalize": {"kind": "computed"}}
    # the parent's implicit sgd is still sgd when a child names it
    child = write(tmp_path, "c.yaml", "extends: p.yaml\noptim: {kind: sgd, lr: 0.2}\n")
    assert load_preset(str(child)).preset.optim == SgdOptim(lr=0.2, momentum=0.5)


def test_extends_is_relative_to_the_file_that_says_it(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", "root.yaml", "extends: default\ntrain: {epochs: 3}\n")
    write(tmp_path / "base", "mid.yaml", "extends: ./root.yaml\noptim: {lr: 0.01}\n")
    child = write(tmp_path, "child.yaml", "extends: base/mid.yaml\nmodel: {norm: layer}\n")
    preset = load_preset(str(child)).preset
    assert (preset.train.epochs, preset.optim.lr, preset.model.norm) == (3, 0.01, "layer")
    assert preset.model.widths == [16, 32, 64]  # from default, three files up


def test_an_error_in_an_inherited_value_points_into_the_parent(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "extends: default\noptim:\n  momentum: 1.5\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\noptim:\n  lr: -1\n")
    report = problems(str(child))
    assert f"{tmp_path / 'parent.yaml'}:3:13: optim.momentum = 1.5: must be less than 1" in report
    assert f"{child}:3:7: optim.lr = -1: must be greater than 0" in report


def test_a_missing_grandparent_shows_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "mid.yaml", "extends: gone.yaml\n")
    child = write(tmp_path, "child.yaml", "extends: mid.yaml\n")
    report = problems(str(child))
    assert "mid.yaml:1:10: extends: " in report
    assert "gone.yaml: no such file" in report
    assert "(extends chain: " in report and "child.yaml -> " in report


def test_extends_must_be_a_name_or_path(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "extends: [default]\n")
    assert problems(str(path)).endswith(
        "p.yaml:1:10: extends: must be a bundled preset's name or a path to a preset file"
    )


def test_set_changes_settings_after_extends() -> None:
    loaded = load_preset(
        "nesterov",
        ["optim.lr=0.2", "train.report.seconds=0.5", "model.widths=[8, 16]", "data.size=1_000"],
    )
    preset = loaded.preset
    assert (preset.optim.lr, preset.optim.nesterov) == (0.2, True)
    assert (preset.train.report.seconds, preset.model.widths) == (0.5, [8, 16])
    assert preset.data.size == 1000


def test_set_one_list_item_and_switch_kind() -> None:
    preset = load_preset("default", ["model.widths[1]=48", "optim.kind=adam", "optim.lr=1e-3"])
    assert preset.preset.model.widths == [16, 48, 64]
    assert preset.preset.optim == AdamOptim(lr=1e-3)


def test_set_can_turn_an_augmentation_on_and_off() -> None:
    assert load_preset("default", ["augment.flip={}"]).preset.augment.enabled() == ["flip"]
    assert load_preset("crop-flip", ["augment.crop=null"]).preset.augment.enabled() == ["flip"]


def test_a_bad_set_value_is_placed_at_the_option() -> None:
    report = problems("default", ("optim.lr=abc",))
    assert report == (
        "--set optim.lr=abc: optim.lr = 'abc': must be a number (allowed: 0 < lr <= 100)"
    )


def test_errors_elsewhere_keep_their_file_place_under_set() -> None:
    report = problems("default", ("model.widths[0]=0",))
    assert report.startswith("--set model.widths[0]=0: model.widths[0] = 0: must be at least 1")


def test_advice_is_placed_and_not_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "extends: default\ndata:\n  batch_size: 100\n")
    loaded = load_preset(str(path))
    assert loaded.advice == [
        f"{path}:3:15: warning: data.batch_size: 100 is not a power of two; "
        "64, 128 or 256 usually run faster on GPUs"
    ]


@pytest.mark.parametrize(
    ("schedule", "key", "said"),
    [
        ("{kind: step, milestones: [4, 12]}", "schedule.milestones", "[12] at or after the last"),
        ("{kind: step, step_epochs: 8}", "schedule.step_epochs", "is the whole run (8 epochs)"),
        ("{kind: cyclic, cycle_epochs: 9}", "schedule.cycle_epochs", "is longer than the run"),
    ],
)
def test_schedule_changes_after_the_last_epoch_are_pointed_out(
    tmp_path: Path, schedule: str, key: str, said: str
) -> None:
    path = write(tmp_path, "p.yaml", f"extends: default\nschedule: {schedule}\n")
    [advice] = load_preset(str(path)).advice
    field = key.split(".")[1] + ": "
    column = len("schedule: ") + schedule.index(field) + len(field) + 1  # at the value
    assert advice.startswith(f"{path}:2:{column}: warning: {key}: "), advice
    assert said in advice


def test_json_preset_with_positions(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{\n  "extends": "default",\n  "optim": {"lr": 0}\n}\n')
    assert (
        problems(str(path))
        == f"{path}:3:19: optim.lr = 0: must be greater than 0 (allowed: 0 < lr <= 100)"
    )
    good = write(tmp_path, "g.json", '{"extends": "sgd", "train": {"epochs": 2}}')
    assert load_preset(str(good)).preset.train.epochs == 2


def test_toml_preset_with_positions(tmp_path: Path) -> None:
    text = (
        'extends = "default"\n\n[model]\nwidths = [8, 16]\nnorm = "none"\n\n'
        "[train.report]\nseconds = 1.0\n"
    )
    loaded = load_preset(str(write(tmp_path, "p.toml", text)))
    assert (loaded.preset.model.norm, loaded.preset.train.report.seconds) == ("none", 1.0)
    bad = write(tmp_path, "b.toml", 'extends = "default"\noptim = {kind = "sgd", lr = 0}\n')
    assert problems(str(bad)).startswith(f"{bad}:2:29: optim.lr = 0: must be greater than 0")


def test_toml_values_it_cannot_place_fall_back_to_their_table(tmp_path: Path) -> None:
    text = 'extends = "default"\n[model]\nwidths = [\n  8,\n  0,\n]\n'
    report = problems(str(write(tmp_path, "p.toml", text)))
    assert report.startswith(f"{tmp_path / 'p.toml'}:3:10: model.widths[1] = 0: must be at least 1")


def test_a_toml_date_is_refused_cleanly(tmp_path: Path) -> None:
    path = write(tmp_path, "p.toml", "description = 2024-01-02\n")
    assert "description = 2024-01-02: must be text" in problems(str(path))


def test_a_path_like_ref_is_never_a_bundled_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert problems("./default") == "./default: no such file"
    write(tmp_path, "mine", "train: {epochs: 2}\n")
    assert load_preset("mine").preset.train.epochs == 2  # not bundled, but a file here


def test_loaded_preset_is_frozen() -> None:
    loaded = load_preset("default")
    assert isinstance(loaded, LoadedPreset)
    with pytest.raises(AttributeError):
        loaded.name = "other"  # type: ignore[misc]


def test_dumped_yaml_quotes_strings_yaml_12_would_misread(tmp_path: Path) -> None:
    loaded = load_preset("default", ["description='1e-4'", "train.device=cpu"])
    text = preset_to_yaml(loaded.preset)
    assert 'description: "1e-4"' in text
    again = load_preset(str(write(tmp_path, "again.yaml", text)))
    assert again.preset == loaded.preset
    assert again.preset.description == "1e-4"


def test_data_folders_are_stored_absolute_so_resume_works_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "imgs" / "cat").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    folder = load_preset("default", ("data.kind=imagefolder", "data.root=imgs")).preset.data
    assert folder.root == tmp_path / "imgs"  # type: ignore[union-attr]
    cifar = load_preset("cifar10-resnet18", ("data.download=true",)).preset.data
    assert cifar.root == tmp_path / "data"  # type: ignore[union-attr]


def test_another_data_kind_keeps_the_parents_common_data_settings(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "cat").mkdir(parents=True)
    write(
        tmp_path,
        "parent.yaml",
        "extends: default\n"
        "data: {batch_size: 64, eval_batch_size: 256, drop_last: true, train_subset: 50,\n"
        "       workers: 0, loader: stream, normalize: {kind: none}, size: 500, noise: 0.2}\n",
    )
    child = write(
        tmp_path, "child.yaml", "extends: parent.yaml\ndata: {kind: imagefolder, root: images}\n"
    )
    data = load_preset(str(child)).preset.data
    assert (data.kind, data.batch_size, data.eval_batch_size, data.drop_last) == (
        "imagefolder", 64, 256, True
    )  # fmt: skip
    assert (data.train_subset, data.workers, data.loader, data.normalize.kind) == (
        50, 0, "stream", "none"
    )  # fmt: skip
    assert data.val_split == 0.1  # kind-specific settings are the new kind's own
    assert "size" not in load_preset(str(child)).resolved["data"]


def test_relative_data_folders_in_a_file_are_taken_from_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    shell = tmp_path / "shell" / "here"  # where the user types the command
    for folder in ("images/cat", "held-out/cat", "presets"):
        (project / folder).mkdir(parents=True)
    (shell / "images" / "cat").mkdir(parents=True)
    write(
        project / "presets",
        "folder.yaml",
        "data: {kind: imagefolder, root: ../images, val_root: ../held-out}\n",
    )
    child = write(project, "child.yaml", "extends: presets/folder.yaml\ntrain: {epochs: 1}\n")
    monkeypatch.chdir(shell)
    data = load_preset(str(child)).preset.data
    assert (data.root, data.val_root) == (project / "images", project / "held-out")
    # --set is typed in the shell: relative to the working directory.
    data = load_preset(str(child), ["data.root=images"]).preset.data
    assert data.root == shell / "images"
    # A bundled preset's `root: data` stays the working directory's data folder.
    assert load_preset("mnist", ["data.download=true"]).preset.data.root == (shell / "data")
