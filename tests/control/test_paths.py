"""Where the socket lives, who may open it, and never taking over a live one."""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
import threading
from pathlib import Path

import pytest

from tests.control.conftest import RUN_NAME
from tests.control.harness import FakeRun, read_status
from tests.control.raw import RawClient
from tuitrain.control import paths
from tuitrain.control.ctl import ctl_main
from tuitrain.control.errors import ControlError, SocketInUse
from tuitrain.control.server import ControlServer


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_socket_is_in_the_run_directory_and_only_ours(fake_run: FakeRun) -> None:
    assert fake_run.socket == fake_run.run_dir / "control.sock"
    assert stat.S_ISSOCK(os.lstat(fake_run.socket).st_mode)
    assert mode(fake_run.socket) == 0o600
    assert read_status(fake_run.run_dir)["control"] == str(fake_run.socket)


def test_the_socket_is_removed_on_close(fake_run: FakeRun) -> None:
    fake_run.stop()
    assert not fake_run.socket.exists()


def test_a_stale_socket_is_cleared_and_the_run_starts(runs_dir: Path) -> None:
    path = runs_dir / RUN_NAME / "control.sock"
    path.parent.mkdir()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # what a killed process leaves: the file, nobody listening
    with FakeRun(path.parent) as run:
        assert run.socket == path
        assert RawClient(path).hello()["pid"] == os.getpid()


def killed_run_socket(run_dir: Path, path: Path) -> None:
    """What `kill -9` leaves: a socket nobody listens on, and a status that says running."""
    run_dir.mkdir(exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    status = {"status": "running", "pid": 2**22 + 12345, "host": socket.gethostname()}
    (run_dir / "status.json").write_text(json.dumps({**status, "control": str(path)}))


@pytest.mark.parametrize("where", ["run dir", "runtime dir"])
def test_whoever_finds_a_killed_run_removes_its_socket(
    runs_dir: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    run_dir = runs_dir / RUN_NAME
    path = run_dir / "control.sock" if where == "run dir" else paths.runtime_socket(run_dir)
    killed_run_socket(run_dir, path)
    assert ctl_main(RUN_NAME, "pause", None, runs_dir) == 3
    assert "is not running (status: interrupted)" in capsys.readouterr().err
    assert not os.path.lexists(path)


def test_a_live_socket_is_never_taken_over(fake_run: FakeRun) -> None:
    intruder = ControlServer(fake_run.socket, print, lock=threading.RLock())
    with pytest.raises(SocketInUse, match="another live process is serving"):
        intruder.start()
    intruder.close()
    assert RawClient(fake_run.socket).hello()["run"] == RUN_NAME


def test_a_file_that_is_not_a_socket_is_left_alone(runs_dir: Path) -> None:
    run_dir = runs_dir / RUN_NAME
    run_dir.mkdir()
    (run_dir / "control.sock").write_text("my notes")
    with pytest.raises(ControlError, match="is not a socket"):
        paths.bind_private(run_dir / "control.sock")
    with FakeRun(run_dir) as run:  # the run falls back to the runtime directory
        assert run.socket is not None and run.socket.parent.name == "tuitrain"
    assert (run_dir / "control.sock").read_text() == "my notes"


def test_a_socket_replaced_by_another_is_not_removed(fake_run: FakeRun) -> None:
    assert fake_run.socket is not None
    fake_run.socket.unlink()
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(str(fake_run.socket))
    fake_run.stop()
    assert stat.S_ISSOCK(os.lstat(fake_run.socket).st_mode)
    other.close()


def deep_run_dir(base: Path) -> Path:
    run_dir = base / ("nested-" * 12) / RUN_NAME
    assert not paths.fits(run_dir / "control.sock")
    return run_dir


def test_a_long_run_path_puts_the_socket_under_xdg_runtime_dir(
    short_tmp: Path, runtime_dir: Path
) -> None:
    run_dir = deep_run_dir(short_tmp)
    with FakeRun(run_dir) as run:
        assert run.socket is not None and run.socket.parent == runtime_dir / "tuitrain"
        assert run.socket.name.startswith(RUN_NAME) and paths.fits(run.socket)
        assert mode(run.socket.parent) == 0o700 and mode(run.socket) == 0o600
        assert read_status(run_dir)["control"] == str(run.socket)
        code = ctl_main(str(run_dir), "validate", None, short_tmp)  # found through status.json
        assert code == 0
    assert not run.socket.exists()


def test_without_xdg_runtime_dir_a_private_temp_directory_is_used(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(tempfile, "tempdir", str(short_tmp))
    with FakeRun(deep_run_dir(short_tmp)) as run:
        assert run.socket is not None
        assert run.socket.parent == short_tmp / f"tuitrain-{os.getuid()}"
        assert mode(run.socket.parent) == 0o700


def test_a_runtime_directory_left_open_is_closed_again(short_tmp: Path) -> None:
    folder = short_tmp / "rt"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    paths.ensure_private_dir(folder)
    assert mode(folder) == 0o700


def test_a_runtime_directory_owned_by_someone_else_is_refused(short_tmp: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to give a directory away")
    folder = short_tmp / "rt"
    folder.mkdir(mode=0o700)
    os.chown(folder, 65534, 65534)
    with pytest.raises(ControlError, match="belongs to uid 65534"):
        paths.ensure_private_dir(folder)


def test_the_same_run_directory_always_gets_the_same_runtime_socket(short_tmp: Path) -> None:
    run_dir = deep_run_dir(short_tmp)
    assert paths.runtime_socket(run_dir) == paths.runtime_socket(Path(str(run_dir)))
    assert paths.runtime_socket(run_dir) != paths.runtime_socket(run_dir.with_name("other"))
