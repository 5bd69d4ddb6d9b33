"""Owner only: another user can neither open the socket nor, if it could, be served by it.

These tests need a second user. As root they create one with useradd; elsewhere they skip
(test_paths checks the socket's mode 0600 and its private directory on any machine).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.control.harness import FakeRun
from tuitrain.control.client import ControlClient
from tuitrain.control.errors import PermissionDenied

OTHER = "tuitrain-ctl-peer"
SYSTEM_PYTHON = "/usr/bin/python3"  # the test venv's interpreter may sit where others cannot go

CONNECT = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(5)
try:
    sock.connect(sys.argv[1])
except PermissionError:
    print("EACCES")
    raise SystemExit
try:
    sock.sendall(b'{"type":"hello","version":1,"client":"ctl"}\\n'
                 b'{"type":"command","command":"stop"}\\n')
except BrokenPipeError:
    pass  # refused before it could speak; the refusal is still there to read
data = b""
try:
    while chunk := sock.recv(4096):
        data += chunk
except ConnectionResetError:
    pass  # the server hung up on words it never read: what it said came first
print(data.decode())
"""

SERVE = """
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
conn.sendall(b'{"type":"welcome","version":1,"pid":1}\\n')
conn.recv(4096)
"""


@pytest.fixture(scope="module")
def other_user() -> Iterator[pwd.struct_passwd]:
    if os.getuid() != 0 or shutil.which("useradd") is None:
        pytest.skip("creating a second user needs root and useradd")
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip(f"no {SYSTEM_PYTHON} for the second user to run")
    created = False
    try:
        pwd.getpwnam(OTHER)
    except KeyError:
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OTHER],
            capture_output=True,
        )
        if made.returncode != 0:
            pytest.skip(f"useradd failed: {made.stderr.decode().strip()}")
        created = True
    yield pwd.getpwnam(OTHER)
    if created:
        subprocess.run(["userdel", OTHER], capture_output=True)


def as_user(user: pwd.struct_passwd, script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [SYSTEM_PYTHON, "-I", "-c", script, *args],
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd="/",
    )


def open_to_all(*folders: Path) -> None:
    # Let the other user reach the socket, so that only its own protections stand in the way.
    for folder in folders:
        os.chmod(folder, 0o755)


def test_another_user_cannot_open_the_socket(
    other_user: pwd.struct_passwd, fake_run: FakeRun, short_tmp: Path
) -> None:
    open_to_all(short_tmp, fake_run.run_dir.parent, fake_run.run_dir)
    out, _ = as_user(other_user, CONNECT, str(fake_run.socket)).communicate(timeout=10)
    assert out.strip() == "EACCES"
    fake_run.wait_steps(3)
    assert fake_run.trainer.applied == []


def test_another_user_is_refused_even_where_the_mode_would_let_it_in(
    other_user: pwd.struct_passwd, fake_run: FakeRun, short_tmp: Path
) -> None:
    open_to_all(short_tmp, fake_run.run_dir.parent, fake_run.run_dir)
    assert fake_run.socket is not None
    os.chmod(fake_run.socket, 0o666)  # a platform that ignores socket modes
    out, err = as_user(other_user, CONNECT, str(fake_run.socket)).communicate(timeout=10)
    assert err == ""
    assert '"code":"forbidden"' in out
    assert f"uid {other_user.pw_uid} may not watch or control it" in out
    fake_run.wait_steps(3)
    assert fake_run.trainer.applied == []
    assert fake_run.trainer.alive


def test_a_client_will_not_talk_to_another_users_socket(
    other_user: pwd.struct_passwd, short_tmp: Path
) -> None:
    shared = short_tmp / "shared"
    shared.mkdir()
    os.chmod(short_tmp, 0o755)
    os.chmod(shared, 0o1777)
    path = shared / "control.sock"
    impostor = as_user(other_user, SERVE, str(path))
    try:
        assert impostor.stdout is not None
        assert impostor.stdout.readline() == "ready\n"
        with pytest.raises(PermissionDenied, match=f"served by uid {other_user.pw_uid}"):
            ControlClient.connect(path, "ctl")
    finally:
        impostor.kill()
        impostor.communicate()
