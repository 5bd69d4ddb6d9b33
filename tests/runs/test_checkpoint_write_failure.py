"""A checkpoint write that fails (a full disk, a file size limit) is an OSError naming the file;
the previous checkpoint stays loadable and training goes on with a warning."""

from __future__ import annotations

import errno
import io
import json
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import tiny
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer
from tuitrain.runs.checkpoint import load_checkpoint, load_latest
from tuitrain.runs.rundir import RunDirectory

LIMIT = 64 * 1024

SAVE_TWICE = """
import json, sys, torch
from pathlib import Path
from tuitrain.engine.state import FORMAT
from tuitrain.runs.checkpoint import save_checkpoint

folder = Path(sys.argv[1])
def state(step, size):
    parts = ("optimizer", "lr", "rng", "stats", "meter", "doctor", "best", "preset")
    return {
        "format": FORMAT,
        "progress": {"epoch": 0, "batch": step, "step": step},
        "model": {"weights": torch.ones(size)},
        **{part: {} for part in parts},
    }
last, previous = folder / "last.pt", folder / "previous.pt"
save_checkpoint(state(1, 100), last, keep_previous=previous)
try:
    save_checkpoint(state(2, 100_000), last, keep_previous=previous)  # 400 kB: over the limit
except OSError as exc:
    print(json.dumps({"type": type(exc).__name__, "errno": exc.errno, "message": str(exc)}))
else:
    print(json.dumps({"type": None}))
"""


def limit_file_size() -> None:
    # Writes past the limit fail with EFBIG instead of the process being killed by SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def test_a_write_past_the_file_size_limit_is_an_oserror_and_keeps_the_old_checkpoint(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SAVE_TWICE, str(tmp_path)],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    raised = json.loads(done.stdout.splitlines()[-1])
    assert raised["type"] == "CheckpointWriteError" and raised["errno"] == errno.EFBIG
    assert raised["message"] == f"cannot write {tmp_path / 'last.pt'}: File too large"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]  # no temporary file left
    assert load_checkpoint(tmp_path / "last.pt")["progress"]["step"] == 1


class FullDisk(io.BufferedWriter):
    """A file on a full disk: every write fails as the kernel would make it fail."""

    def write(self, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def full_disk_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    handle = open(fd, mode, *args, **kwargs)  # noqa: SIM115
    return FullDisk(handle.detach()) if isinstance(handle, io.BufferedWriter) else handle


def test_a_full_disk_during_a_checkpoint_warns_and_training_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = RunDirectory.create(tmp_path, "full")
    trainer = Trainer(tiny(train={"epochs": 2, "device": "cpu"}), checkpoints=run)
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)

    def fill_disk(event: ev.Event) -> None:
        # Once the first epoch's checkpoints are on disk, the disk is full.
        if isinstance(event, ev.StepProgress) and any(
            isinstance(e, ev.CheckpointSaved) for e in seen
        ):
            monkeypatch.setattr("tuitrain.runs.atomic.os.fdopen", full_disk_fdopen)

    trainer.subscribe(fill_disk)
    trainer.run()

    finished = seen[-1]
    assert isinstance(finished, ev.Finished) and finished.status == "completed"
    saved = [e for e in seen if isinstance(e, ev.CheckpointSaved)]
    assert saved and all(e.epoch == 1 for e in saved)
    warnings = [e.message for e in seen if isinstance(e, ev.Warned) and e.category == "checkpoint"]
    assert warnings and all("No space left on device" in m for m in warnings)
    assert any(f"cannot write {run.checkpoints / 'last.pt'}" in m for m in warnings)
    assert list(run.checkpoints.glob(".*.tmp")) == []
    latest = load_latest(run.checkpoints)
    assert latest.skipped == [] and latest.state["progress"]["epoch"] == 1
    assert latest.state["progress"]["step"] == max(e.step for e in saved)
