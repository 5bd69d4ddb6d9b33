"""examples/: every preset validates, and the ones with the user's own code train."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuitrain.cli import main
from tuitrain.config.loader import load_preset

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
QUICK = [
    "--set", "train.epochs=1",
    "--set", "train.device=cpu",
    "--set", "data.batch_size=32",
    "--headless",
]  # fmt: skip


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_preset_validates(name: str) -> None:
    assert load_preset(str(EXAMPLES / name)).preset is not None


@pytest.mark.parametrize(
    ("name", "model", "sizes"),
    [
        ("own-model.yaml", "python models.py:SmallResNet", ["data.size=240", "data.image_size=16"]),
        (
            "own-data-layernorm.yaml",
            "python models.py:SmallResNet",
            ["data.args.train=160", "data.args.val=40", "data.args.size=16"],
        ),
    ],
)
def test_examples_with_user_code_train_from_another_folder(
    name: str, model: str, sizes: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the targets are found beside the preset, not here
    argv = ["run", str(EXAMPLES / name), "--runs-dir", "runs", *QUICK]
    for setting in sizes:
        argv += ["--set", setting]
    assert main(argv) == 0
    (run,) = (tmp_path / "runs").iterdir()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    [started] = [e for e in events if e["type"] == "run_started"]
    assert started["model"] == model
    if "layernorm" in name:
        assert started["norm_replaced"] == 9  # stem 1, blocks 6, shortcuts 2
        assert started["class_names"] == ["one ring", "two rings", "three rings", "a disc"]
