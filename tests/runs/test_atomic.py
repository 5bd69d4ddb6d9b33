import errno
from pathlib import Path

import pytest

from tuitrain.runs.atomic import atomic_write, atomic_write_text


def test_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "status.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]


def test_a_failing_write_keeps_the_old_file_and_leaves_no_litter(tmp_path: Path) -> None:
    target = tmp_path / "last.pt"
    target.write_bytes(b"good")

    def disk_full(handle) -> None:
        handle.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        atomic_write(target, disk_full)
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_keep_previous_holds_the_generation_before(tmp_path: Path) -> None:
    target, previous = tmp_path / "last.pt", tmp_path / "previous.pt"
    for content in (b"1", b"2", b"3"):
        atomic_write(target, lambda h, c=content: h.write(c), keep_previous=previous)
    assert target.read_bytes() == b"3" and previous.read_bytes() == b"2"
