import os
import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from tuitrain.engine.state import FORMAT
from tuitrain.runs.checkpoint import CheckpointError, load_checkpoint, load_latest, save_checkpoint


def state(step: int) -> dict:
    return {"format": FORMAT, "progress": {"step": step}, "weights": torch.arange(4.0) * step}


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "last.pt"
    save_checkpoint(state(3), path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["weights"], torch.arange(4.0) * 3)


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
