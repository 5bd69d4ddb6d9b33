"""A warm launcher: one process imports torch and tuitrain once, then forks each run from it.

Why: on a busy two-core machine every `tuitrain run` spends 5 to 12 s importing torch, and these
tests start about twenty runs. A child forked from an interpreter that has already imported
everything starts training within a second and is otherwise the command itself: its own
process and session, its own environment, working directory and standard streams (a file, or
a pseudo-terminal that becomes its controlling terminal, as a login shell's would), the
default signal dispositions, `tuitrain.cli.main(argv)`, and an exit through SystemExit, so the
interpreter shuts down as the console script's does. What a forked child does not exercise is
the console script's own start-up; the tests that run the real command (headless output, tmux)
cover that.

The launcher is `python -m tests.e2e.warm`; it reads one JSON request per line on stdin and
answers `started <id> <pid>` when it forked a child and `exit <pid> <code>` when one ended
(code -N: killed by signal N), as subprocess does. It never runs a torch operation itself, so
forking it is safe. When its stdin closes (the test session ended) it kills what it started.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import json
import os
import resource
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WARM_MODULES = (
    # Everything a run, a resume or the monitor imports, so the children import nothing big.
    "tuitrain.cli",
    "tuitrain.control.ctl",
    "tuitrain.data.sources",
    "tuitrain.engine.trainer",
    "tuitrain.launch",
    "tuitrain.ui.app",
    "tuitrain.ui.attach",
)


# The launcher (runs in its own process) ----------------------------------------------------


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # unbuffered: a child must not inherit pending output


def _serve() -> None:
    for name in WARM_MODULES:
        importlib.import_module(name)

    children: set[int] = set()
    pending = b""
    _say("ready")
    while True:
        readable, _, _ = select.select([0], [], [], 0.02)
        if readable:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = _fork(request)  # in the child, this never returns
                children.add(pid)
                _say(f"started {request['id']} {pid}")
        _reap(children)
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap(children)


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        _say(f"exit {pid} {os.waitstatus_to_exitcode(status)}")


def _fork(request: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _become_the_command(request)
        from tuitrain.cli import main

        code = main(request["argv"])
    except SystemExit as exc:  # a signal handler's quick exit, as in the console script
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    raise SystemExit(code)  # unwinds out of _serve: the interpreter's normal shutdown


def _become_the_command(request: dict[str, Any]) -> None:
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    tty = request.get("tty")
    if tty:
        # A session leader's first open of a terminal makes it the controlling terminal, so a
        # hang-up on it reaches this process as SIGHUP.
        fd = os.open(tty, os.O_RDWR)
        streams = (fd, fd, fd)
    else:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        streams = (
            os.open(os.devnull, os.O_RDONLY),
            os.open(request["stdout"], flags, 0o644),
            os.open(request["stderr"], flags, 0o644),
        )
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
    for fd in set(streams):
        if fd > 2:
            os.close(fd)
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    limit = request.get("file_size_limit")
    if limit:  # writes past it fail with EFBIG (Python ignores SIGXFSZ), as a quota would
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


# The tests' side ---------------------------------------------------------------------------


class WarmProcess:
    """A run forked by the launcher: like subprocess.Popen, for the parts the tests use."""

    def __init__(self, launcher: WarmLauncher, pid: int, stdout: Path | None, stderr: Path | None):
        self._launcher = launcher
        self.pid = pid
        self.stdout_path = stdout
        self.stderr_path = stderr

    @property
    def returncode(self) -> int | None:
        return self._launcher.exit_code(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float) -> int:
        """The exit code; TimeoutError (with the output so far) if it has not ended in time."""
        code = self._launcher.wait_exit(self.pid, timeout)
        if code is None:
            raise TimeoutError(f"pid {self.pid} still running after {timeout} s\n{self.output()}")
        return code

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def output(self) -> str:
        return f"--- stdout\n{self.stdout()}--- stderr\n{self.stderr()}"

    def close(self) -> None:
        """Kill it if it still runs, and wait for the launcher to reap it."""
        if self.returncode is None:
            self.kill()
            self._launcher.wait_exit(self.pid, 10.0)


def _read(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class WarmLauncher:
    START_TIMEOUT_S = 120.0  # importing torch on a loaded machine

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.warm"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._cond = threading.Condition()
        self._started: dict[str, int] = {}
        self._exits: dict[int, int] = {}
        self._ready = False
        self._ids = itertools.count()
        threading.Thread(target=self._read_loop, name="warm-launcher", daemon=True).start()
        with self._cond:
            if not self._cond.wait_for(lambda: self._ready, self.START_TIMEOUT_S):
                raise RuntimeError("the warm launcher did not start")

    def _read_loop(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            words = raw.decode().split()
            with self._cond:
                if words == ["ready"]:
                    self._ready = True
                elif words[0] == "started":
                    self._started[words[1]] = int(words[2])
                elif words[0] == "exit":
                    self._exits[int(words[1])] = int(words[2])
                self._cond.notify_all()

    def launch(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        stdout: Path | None = None,
        stderr: Path | None = None,
        tty: str | None = None,
        file_size_limit: int | None = None,
    ) -> WarmProcess:
        """Fork `tuitrain <argv>`, with output to files (or all three streams on `tty`), and
        no file it writes larger than `file_size_limit` bytes when given (RLIMIT_FSIZE)."""
        request_id = str(next(self._ids))
        request = {
            "id": request_id,
            "argv": list(argv),
            "cwd": str(cwd),
            "env": dict(os.environ if env is None else env),
            "stdout": str(stdout) if stdout else os.devnull,
            "stderr": str(stderr) if stderr else os.devnull,
            "tty": tty,
            "file_size_limit": file_size_limit,
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(request).encode() + b"\n")
        self._process.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(lambda: request_id in self._started, 30.0):
                raise RuntimeError("the warm launcher did not fork")
            pid = self._started[request_id]
        return WarmProcess(self, pid, stdout, stderr)

    def exit_code(self, pid: int) -> int | None:
        with self._cond:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float) -> int | None:
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits, timeout)
            return self._exits.get(pid)

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    _serve()
