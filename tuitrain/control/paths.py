"""Where a run's control socket lives, and binding it without stealing a live one.

The socket is `<run dir>/control.sock` when that path fits in a Unix socket address and the
run directory's filesystem can hold sockets. Otherwise it goes to a private directory:
`$XDG_RUNTIME_DIR/tuitrain/`, or `<temp dir>/tuitrain-<uid>/` when XDG_RUNTIME_DIR is unset.
That directory is created 0700 and refused if anyone else owns it or can enter it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import socket
import stat
import tempfile
from pathlib import Path

from tuitrain.control.errors import ControlError, SocketInUse
from tuitrain.runs.files import SOCKET

MAX_SOCKET_PATH = 107
"""Bytes a socket path may hold on Linux (sun_path is 108 bytes with its terminating NUL)."""


def fits(path: Path) -> bool:
    return len(os.fsencode(path)) <= MAX_SOCKET_PATH


def runtime_dir() -> Path:
    """The private directory for sockets whose run directory cannot hold them."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "tuitrain"
    return Path(tempfile.gettempdir()) / f"tuitrain-{os.getuid()}"


def runtime_socket(run_dir: Path) -> Path:
    """A name in the runtime directory, the same for every start of the same run directory
    (so a resumed run finds and clears the socket its killed predecessor left)."""
    digest = hashlib.sha256(os.fsencode(run_dir.resolve())).hexdigest()[:16]
    folder = runtime_dir()
    room = MAX_SOCKET_PATH - len(os.fsencode(folder)) - len(digest) - len("/-.sock")
    stem = run_dir.name[: max(0, room)]
    return folder / (f"{stem}-{digest}.sock" if stem else f"{digest}.sock")


def ensure_private_dir(folder: Path) -> None:
    """Create `folder` 0700, or check an existing one is ours and closed to everyone else."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        text = f"cannot create {folder} for the control socket: {exc.strerror}"
        raise ControlError(text) from None
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode):
        raise ControlError(f"{folder} is not a directory; the control socket cannot live there")
    if info.st_uid != os.getuid():
        raise ControlError(
            f"{folder} belongs to uid {info.st_uid}, not to you; refusing to put a socket there"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def bind_private(path: Path) -> socket.socket:
    """A listening socket at `path`, mode 0600.

    A socket file left by a dead process (connecting is refused) is removed first; one that
    answers belongs to a live process and is never taken over: SocketInUse. Any other file
    at the path is left alone.
    """
    if not fits(path):
        raise OSError(errno.ENAMETOOLONG, f"socket path longer than {MAX_SOCKET_PATH} bytes")
    _clear_stale(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(os.fspath(path))
        # Nobody can connect before listen(), so tightening the mode here leaves no window.
        os.chmod(path, 0o600)
        listener.listen(16)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise SocketInUse(f"{path} was taken by another process while binding") from None
        raise
    listener.setblocking(False)
    return listener


def _clear_stale(path: Path) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise ControlError(f"{path} exists and is not a socket; remove it if it is not needed")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(os.fspath(path))
    except (ConnectionRefusedError, FileNotFoundError):
        path.unlink(missing_ok=True)
        return
    except OSError as exc:
        raise ControlError(f"cannot check whether {path} is in use: {exc}") from None
    finally:
        probe.close()
    raise SocketInUse(
        f"another live process is serving {path}; is this run already running? "
        "(check with: tuitrain runs)"
    )


def remove_if_stale(path: Path) -> bool:
    """Remove a socket of ours that no process serves any more (its run was killed);
    True when one was removed. Anything else at the path is left alone."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISSOCK(info.st_mode) or info.st_uid != os.getuid():
        return False
    try:
        _clear_stale(path)
    except ControlError:
        return False  # in use after all, or not ours to judge
    return not os.path.lexists(path)


def candidates(run_dir: Path) -> list[Path]:
    """Socket paths to try for a run, in order."""
    inside = run_dir / SOCKET
    return [inside, runtime_socket(run_dir)] if fits(inside) else [runtime_socket(run_dir)]


def bind_for_run(run_dir: Path) -> tuple[socket.socket, Path]:
    """Bind the run's control socket at the first candidate path that can hold it."""
    failures = []
    for path in candidates(run_dir):
        try:
            if path.parent != run_dir:
                ensure_private_dir(path.parent)
            return bind_private(path), path
        except SocketInUse:
            raise
        except (OSError, ControlError) as exc:
            failures.append(f"{path}: {getattr(exc, 'strerror', None) or exc}")
    raise ControlError("cannot open a control socket: " + "; ".join(failures))
