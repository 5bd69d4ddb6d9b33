"""tuitrain.fit() and tuitrain.load() from Python: the same runs as the command line's."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

import tuitrain
from tests.fixtures.user.corners import Corners
from tests.fixtures.user.nets import TinyNet
from tuitrain.cli import main
from tuitrain.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "train.epochs": 1,
    "data.batch_size": 32,
    "train.device": "cpu",
    "schedule.kind": "constant",
}


def events(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_fit_and_load_are_the_typed_public_api() -> None:
    assert {"fit", "load", "FitResult", "Trained", "Preprocess"} <= set(tuitrain.__all__)
    assert tuitrain.fit.__annotations__["return"] == "FitResult"


def test_fit_trains_a_model_on_datasets_into_a_run_directory(tmp_path: Path) -> None:
    model = TinyNet(4, in_channels=1, width=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = tuitrain.fit(
        model, Corners(96), Corners(32, seed=1), set=TINY, runs_dir=tmp_path, name="mine"
    )
    assert (result.status, result.epochs, result.exit_code) == ("completed", 1, 0)
    assert result.best_metric == "val_acc" and 0 <= result.best_value <= 1
    assert result.run_dir.parent == tmp_path and result.run_dir.name.endswith("-mine")
    assert result.model is model
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    [started] = [e for e in events(result.run_dir) if e["type"] == "run_started"]
    assert started["model"] == "TinyNet (tuitrain.fit)"
    assert started["class_names"] == list(Corners.classes)
    assert started["preset"]["data"]["kind"] == "fit" and started["loader"] == "memory"

    trained = tuitrain.load(result.run_dir, model=TinyNet(4, in_channels=1, width=4))
    assert trained.classes == list(Corners.classes) and trained.epoch == 1
    assert trained.preprocess.size == (16, 16) and trained.preprocess.channels == 1
    image = (Corners(1)[0][0] * 255).to(torch.uint8)
    assert trained.model(trained.preprocess(image)).shape == (1, 4)
    with pytest.raises(UserError, match=r"tuitrain.load\(RUN, model=MyNet"):
        tuitrain.load(result.run_dir)

    # The command line cannot rebuild what came from Python, and says how to continue it.
    code = main(["resume", str(result.run_dir), "--epochs", "2", "--headless"])
    assert code == 2


def test_fit_refuses_what_is_not_a_module_or_mixes_datasets_and_loaders(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"tuitrain\.fit needs an nn\.Module"):
        tuitrain.fit("resnet", Corners(8), runs_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="give train and val alike"):
        tuitrain.fit(TinyNet(4), DataLoader(Corners(8)), Corners(8), runs_dir=tmp_path)


def test_fit_uses_dataloaders_as_they_are(tmp_path: Path) -> None:
    train = DataLoader(Corners(64), batch_size=16, shuffle=True)
    val = DataLoader(Corners(16, seed=1), batch_size=8)
    result = tuitrain.fit(TinyNet(4, 1, 4), train, val, set=TINY, runs_dir=tmp_path)
    assert (result.status, result.epochs) == ("completed", 1)
    [started] = [e for e in events(result.run_dir) if e["type"] == "run_started"]
    assert (started["loader"], started["steps_per_epoch"]) == ("given", 4)  # its batch size
    assert started["class_names"] == list(Corners.classes)  # from its dataset
    assert started["mean"] == [0.0] and started["std"] == [1.0]  # not normalized by tuitrain
    assert started["preset"]["data"]["loaders"] is True


def test_inside_jupyter_fit_runs_headless_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class ZMQInteractiveShell:  # what get_ipython() returns inside a Jupyter kernel
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = ZMQInteractiveShell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    result = tuitrain.fit(
        TinyNet(4, 1, 4), Corners(64), Corners(16, seed=1), set=TINY, runs_dir=tmp_path
    )
    out = capsys.readouterr().out
    assert result.status == "completed"
    assert out.startswith("tuitrain: running headless inside Jupyter\n")
    assert "epoch 1/1 done" in out  # the headless lines, not the monitor


FIT_SCRIPT = """
import sys
sys.path.insert(0, {repo!r})
import tuitrain
from tests.fixtures.user.corners import Corners
from tests.fixtures.user.nets import TinyNet
settings = {{"train.epochs": 3, "data.batch_size": 32, "train.device": "cpu"}}
result = tuitrain.fit(TinyNet(4, 1, 4, delay={delay}), Corners(96), Corners(32, seed=1),
                      set=settings, runs_dir={runs!r}, name="killed", headless=True,
                      resume={resume})
print("RESULT", result.status, result.epochs)
"""


def test_fit_resume_continues_a_run_killed_with_sigkill(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = FIT_SCRIPT.format(repo=str(ROOT), delay=0.05, runs=str(runs), resume=None)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = list(runs.glob("*/events.jsonl"))
            if found and '"checkpoint"' in found[0].read_text():
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no checkpoint within 120 s")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    run = found[0].parent
    resumed = subprocess.run(
        [
            sys.executable,
            "-c",
            FIT_SCRIPT.format(repo=str(ROOT), delay=0.0, runs=str(runs), resume=repr(str(run))),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert re.search(r"^RESULT completed 3$", resumed.stdout, re.M), resumed.stderr
    kinds = [e["type"] for e in events(run)]
    assert "run_resumed" in kinds and kinds[-1] == "finished"


def test_the_python_api_doc_example_runs_as_written(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "python-api.md").read_text()
    example = re.findall(r"```python\n(.*?)```", text, re.S)[1]
    done = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert re.fullmatch(r"completed 3 val_acc [0-9.]+", lines[-2])
    assert re.fullmatch(r"(horizontal|vertical) for a (horizontal|vertical) image", lines[-1])


def test_a_model_given_to_fit_that_raises_while_training_fails_with_its_own_traceback(
    tmp_path: Path,
) -> None:
    from tests.fixtures.user.nets import FailsLater

    result = tuitrain.fit(FailsLater(4, 1, 4), Corners(96), set=TINY, runs_dir=tmp_path)
    assert (result.status, result.exit_code) == ("failed", 1)
    assert "IndexError: attention mask has the wrong length" in result.error
    assert "nets.py" in result.error and "/tuitrain/engine" not in result.error
    assert result.error.endswith("each dataset item to be (image, int label)")
