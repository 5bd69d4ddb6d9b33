"""The user's own network and dataset through the real command line: run (headless and under
the monitor), resume, predict, networks by name, and every kind of bad input."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import pytest
import torch
from PIL import Image

import tuitrain
from tests.e2e.helpers import of_type, read_events, the_run_dir, wait_for_step
from tests.e2e.terminal import Terminal
from tests.e2e.warm import WarmLauncher, WarmProcess
from tuitrain.runs.checkpoint import load_checkpoint

USER = Path(__file__).resolve().parents[1] / "fixtures" / "user"
PRESET = str(USER / "user.yaml")
TUITRAIN_FRAME = re.compile(re.escape(f'File "{Path(tuitrain.__file__).parent}/'))
"""A traceback line inside tuitrain's own code: never shown for the user's mistakes."""


def launch(
    warm: WarmLauncher,
    processes: list[WarmProcess],
    runs_dir: Path,
    *args: str,
    command: str = "run",
    target: str = PRESET,
) -> WarmProcess:
    out = runs_dir.parent
    argv = [command, target, "--runs-dir", str(runs_dir), *args]
    if command == "run":
        argv.append("--headless")
    logs = out / f"{runs_dir.name}-{command}-{len(processes)}"
    process = warm.launch(
        argv, cwd=out, stdout=logs.with_suffix(".out"), stderr=logs.with_suffix(".err")
    )
    processes.append(process)
    return process


def sets(**settings: object) -> list[str]:
    return [part for k, v in settings.items() for part in ("--set", f"{k.replace('__', '.')}={v}")]


def test_a_user_model_and_dataset_train_and_predict_through_the_command_line(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    process = launch(warm, processes, runs_dir, *sets(train__epochs=1))
    assert process.wait(120) == 0, process.output()
    run = the_run_dir(runs_dir)
    [started] = of_type(read_events(run), "run_started")
    assert started["model"] == "python nets.py:TinyNet"
    assert started["class_names"] == ["top-left", "top-right", "bottom-left", "bottom-right"]
    assert started["user_files"] == [str(USER / "nets.py"), str(USER / "corners.py")]
    assert "python nets.py:TinyNet (" in process.stdout()  # the headless start line
    assert load_checkpoint(run / "checkpoints" / "best.pt")["data"]["classes"][0] == "top-left"
    status = json.loads((run / "status.json").read_text())
    assert (status["model"], status["parameters"]) == ("python nets.py:TinyNet", 384)

    # Images of the dataset as files, a file that is not an image, and a path that is not there.
    images = runs_dir.parent / "images"
    images.mkdir()
    from tests.fixtures.user.corners import Corners

    for index in range(2):
        pixels, _ = Corners(4, 16, 1)[index]
        Image.fromarray((pixels[0] * 255).to(torch.uint8).numpy(), mode="L").save(
            images / f"{index}.png"
        )
    (images / "notes.txt").write_text("not an image")
    argv = [run.name, str(images), str(images / "gone.png"), "--top", "2", "--json"]
    predicted = launch(warm, processes, runs_dir, *argv[1:], command="predict", target=argv[0])
    assert predicted.wait(60) == 2, predicted.output()  # some paths were not read
    rows = json.loads(predicted.stdout())
    assert [Path(row["path"]).name for row in rows] == ["0.png", "1.png", "notes.txt", "gone.png"]
    for row in rows[:2]:
        assert len(row["top"]) == 2 and row["top"][0]["class"] in started["class_names"]
        assert 0 < row["top"][1]["probability"] <= row["top"][0]["probability"] <= 1
    assert rows[2]["error"] == "not an image" and rows[3]["error"] == "no such file or folder"


def test_the_monitor_shows_the_user_model_and_its_norm_surgery(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    with Terminal(columns=120, rows=40) as terminal:
        argv = ["run", PRESET, "--runs-dir", str(runs_dir), *sets(model__norm="layer")]
        argv += sets(train__epochs=1000)  # ended by SIGTERM below
        process = warm.launch(argv, cwd=runs_dir.parent, tty=terminal.slave_name)
        processes.append(process)
        terminal.shows("python nets.py:TinyNet", "norm: 2 BatchNorm2d replaced by LayerNorm")
        run = the_run_dir(runs_dir)
        [started] = of_type(read_events(run), "run_started")
        assert started["norm_replaced"] == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 143


def test_sigterm_then_resume_of_a_python_target_run_is_bit_identical_to_an_uninterrupted_one(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    whole_runs = runs_dir.parent / "whole"
    whole = launch(warm, processes, whole_runs, *sets(train__epochs=3))
    assert whole.wait(120) == 0, whole.output()
    reference = load_checkpoint(the_run_dir(whole_runs) / "checkpoints" / "last.pt")

    # The same run, slowed by the model's own delay argument so the signal lands mid-run.
    cut = runs_dir.parent / "cut"
    first = launch(warm, processes, cut, *sets(train__epochs=3, model__args__delay=0.05))
    run = the_run_dir(cut)
    wait_for_step(run, 3, first.output)
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 143, first.output()
    resumed = launch(warm, processes, cut, command="resume", target=run.name)
    assert resumed.wait(120) == 0, resumed.output()
    assert f"importing {USER / 'nets.py'} again" in resumed.stderr()
    assert f"importing {USER / 'corners.py'} again" in resumed.stderr()
    final = load_checkpoint(run / "checkpoints" / "last.pt")
    assert final["progress"]["step"] == reference["progress"]["step"] == 21
    for name, tensor in reference["model"].items():
        assert torch.equal(final["model"][name], tensor), name


def test_torchvision_resnet18_by_name_trains_on_grayscale_data_with_its_channel_repeated(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    settings = sets(
        model__kind="torchvision", model__name="resnet18", data__args__size=32, train__epochs=1
    )
    process = launch(warm, processes, runs_dir, *settings)
    assert process.wait(300) == 0, process.output()
    run = the_run_dir(runs_dir)
    [started] = of_type(read_events(run), "run_started")
    assert started["model"] == "torchvision resnet18" and started["image_shape"] == [1, 32, 32]
    assert started["model_notes"] == ["1-channel data repeated to 3 channels on the device"]
    assert of_type(read_events(run), "finished")[0]["status"] == "completed"


def test_timm_by_name_trains(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    settings = sets(model__kind="timm", model__name="resnet10t", train__epochs=1)
    process = launch(warm, processes, runs_dir, *settings)
    assert process.wait(300) == 0, process.output()
    [started] = of_type(read_events(the_run_dir(runs_dir)), "run_started")
    assert started["model"] == "timm resnet10t"


@pytest.mark.parametrize(
    ("settings", "code", "says", "theirs"),
    [
        ({"model.target": "os:system"}, 2, "module 'os' is refused", None),
        (
            {"model.target": "nets.py:BrokenInit"},
            2,
            "BrokenInit(**{num_classes=4, width=4}) failed",
            "width",
        ),
        ({"model.target": "nets.py:WrongShape"}, 2, "expects class scores of shape", None),
        ({"data.target": "corners.py:bad_label"}, 2, "has label 7, outside 0..3", None),
        ({"model.kind": "torchvision", "model.name": "resnet81"}, 2, "did you mean", None),
        (
            {"model.target": "nets.py:FailsLater"},
            1,
            "IndexError during training; tuitrain",
            "attention mask",
        ),
    ],
    ids=["denied", "init", "shape", "label", "unknown-name", "forward-at-step-3"],
)
def test_bad_user_input_exits_with_its_code_and_the_users_own_traceback_only(
    warm: WarmLauncher,
    runs_dir: Path,
    processes: list[WarmProcess],
    settings: dict[str, str],
    code: int,
    says: str,
    theirs: str | None,
) -> None:
    values = {
        k: (str(USER / v) if v.startswith(("nets", "corners")) else v) for k, v in settings.items()
    }
    argv = [part for k, v in values.items() for part in ("--set", f"{k}={v}")]
    process = launch(warm, processes, runs_dir, *argv, *sets(train__epochs=1))
    assert process.wait(120) == code, process.output()
    output = process.output()
    assert says in output
    assert not TUITRAIN_FRAME.search(output), output
    if theirs is not None:
        assert theirs in output and f'File "{USER}/nets.py"' in output
