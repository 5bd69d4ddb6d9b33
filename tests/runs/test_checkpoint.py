import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from tuitrain.engine.state import FORMAT
from tuitrain.runs.checkpoint import CheckpointError, load_checkpoint, load_latest, save_checkpoint

PARTS = ("optimizer", "lr", "rng", "stats", "meter", "doctor", "best", "preset")


def state(step: int) -> dict:
    """The shape of a checkpoint Trainer writes, with little in it."""
    return {
        "format": FORMAT,
        "progress": {"epoch": 0, "batch": step, "step": step},
        "model": {"weights": torch.arange(4.0) * step},
        **{part: {} for part in PARTS},
        "scaler": None,
    }


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(state(3), path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["model"]["weights"], torch.arange(4.0) * 3)


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {MARKER}",))


MARKER = Path("/tmp/tuitrain-payload-ran")


def test_a_checkpoint_carrying_a_pickle_payload_is_refused_and_never_runs(tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    path = tmp_path / "last.pt"
    torch.save({"format": FORMAT, "progress": {"step": 1}, "evil": Payload()}, path)
    with pytest.raises(CheckpointError, match="unsafe"):
        load_checkpoint(path)
    assert not MARKER.exists()


def test_a_plain_pickle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not MARKER.exists()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_damaged_files_are_clear_errors(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(state(1), path)
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": b"\x00junk" * 50, "empty": b""}[damage]
    )
    with pytest.raises(CheckpointError, match=r"unreadable|not a tuitrain"):
        load_checkpoint(path)


def test_a_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(CheckpointError, match="not a tuitrain checkpoint"):
        load_checkpoint(path)


def test_latest_falls_back_past_a_truncated_newest(tmp_path: Path) -> None:
    save_checkpoint(state(10), tmp_path / "last.pt", keep_previous=tmp_path / "previous.pt")
    save_checkpoint(state(20), tmp_path / "last.pt", keep_previous=tmp_path / "previous.pt")
    save_checkpoint(state(5), tmp_path / "best.pt")
    latest = load_latest(tmp_path)
    assert latest.path.name == "last.pt" and latest.skipped == []
    last = tmp_path / "last.pt"
    last.write_bytes(last.read_bytes()[:100])
    latest = load_latest(tmp_path)
    assert latest.path.name == "previous.pt" and latest.state["progress"]["step"] == 10
    assert len(latest.skipped) == 1 and "last.pt" in latest.skipped[0]


def test_nothing_to_resume_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoints"):
        load_latest(tmp_path)


def test_zip_error_type_is_covered() -> None:
    assert issubclass(zipfile.BadZipFile, Exception)


def test_a_tagged_checkpoint_without_its_contents_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    torch.save({"format": FORMAT}, path)
    with pytest.raises(CheckpointError, match=r"last.pt is unreadable .*: no progress record"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"progress": [1, 2]}, "its progress is not a record"),
        ({"progress": {"epoch": 1, "batch": 0}}, "progress.step is missing"),
        ({"progress": {"epoch": 1, "batch": 0, "step": "7"}}, "progress.step is '7'"),
        ({"progress": {"epoch": 1, "batch": 0, "step": 7, "eta": 1}}, "unknown fields: eta"),
        ({"model": None}, "model is not a record"),
        ({"scaler": [0]}, "scaler is not a record"),
    ],
)
def test_wrong_contents_are_clear_errors(tmp_path: Path, damage: dict, reason: str) -> None:
    path = tmp_path / "last.pt"
    torch.save({**state(3), **damage}, path)
    with pytest.raises(CheckpointError, match="unreadable") as raised:
        load_checkpoint(path)
    assert raised.value.message.endswith(reason)


@pytest.mark.parametrize("missing", ["model", "optimizer", "rng", "preset"])
def test_a_missing_part_is_named(tmp_path: Path, missing: str) -> None:
    path = tmp_path / "last.pt"
    whole = state(3)
    del whole[missing]
    torch.save(whole, path)
    with pytest.raises(CheckpointError, match=f"missing {missing}$"):
        load_checkpoint(path)


def test_latest_falls_back_past_a_newest_with_wrong_contents(tmp_path: Path) -> None:
    save_checkpoint(state(10), tmp_path / "last.pt", keep_previous=tmp_path / "previous.pt")
    save_checkpoint(state(20), tmp_path / "last.pt", keep_previous=tmp_path / "previous.pt")
    torch.save({"format": FORMAT}, tmp_path / "last.pt")
    latest = load_latest(tmp_path)
    assert latest.path.name == "previous.pt" and latest.state["progress"]["step"] == 10
    (skipped,) = latest.skipped
    assert "last.pt" in skipped and skipped.endswith("no progress record")
    (tmp_path / "previous.pt").unlink()
    with pytest.raises(CheckpointError, match=r"nothing to resume from: .*no progress record"):
        load_latest(tmp_path)
