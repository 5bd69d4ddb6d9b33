"""`tuitrain run PRESET --devices N`: N workers on this machine through torch's own launcher.

The workers run `python -m tuitrain` with the same arguments, under torch.distributed.run (the
code behind torchrun), exactly as `torchrun --standalone --nproc-per-node N -m tuitrain ...`
would start them. What this adds: one line instead of torchrun's failure report, naming the
rank, its host and its error; the exit code of the run (143 after SIGTERM, 130 after Ctrl-C);
window-size changes and hang-ups passed on to rank 0, which draws the monitor (torchrun starts
workers in sessions of their own, where the terminal's signals do not reach them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import termios
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from tuitrain.distributed.env import LAUNCHED_ENV
from tuitrain.exitcodes import FAILED, INTERRUPTED, TERMINATED

ERROR_FILE_ENV = "TORCHELASTIC_ERROR_FILE"
"""Where torchrun asks each worker to leave its error (it reads it once the worker ends)."""
_STOPPED_BY_SIGNAL = {INTERRUPTED, TERMINATED, -signal.SIGINT, -signal.SIGTERM}


def launch(devices: int, argv: Sequence[str]) -> int:
    """Start `devices` workers running `tuitrain *argv` and wait for them; the exit code."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import elastic_launch
    from torch.distributed.run import config_from_args, parse_args

    # One OpenMP thread pool per worker would oversubscribe the cores N times over.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (cores or 1) // devices)))
    os.environ[LAUNCHED_ENV] = "1"
    args = parse_args(
        [
            # torchrun --standalone: a rendezvous of this machine alone, on a free port
            "--rdzv-backend=c10d",
            "--rdzv-endpoint=localhost:0",
            f"--rdzv-id={uuid.uuid4()}",
            f"--nproc-per-node={devices}",
            "--signals-to-handle=SIGTERM,SIGINT,SIGQUIT",  # a hang-up is handled here
            "-m",
            "tuitrain",
            *argv,
        ]
    )
    config, entrypoint, entry_args = config_from_args(args)
    # The agent's own reports of a failure: the one line below says it instead.
    logging.getLogger("torch.distributed").setLevel(logging.CRITICAL)
    with _terminal_kept(), _signals_passed_on():
        try:
            elastic_launch(config, entrypoint)(*entry_args)
        except SignalException as exc:
            return 128 + int(exc.sigval)
        except ChildFailedError as exc:
            return _report(exc.failures)
    return 0


def _report(failures: dict[int, Any]) -> int:
    """One line for the failure that caused the others; the run's own code for a signal stop."""
    codes = {failure.exitcode for failure in failures.values()}
    if codes <= _STOPPED_BY_SIGNAL:
        return TERMINATED if TERMINATED in codes or -signal.SIGTERM in codes else INTERRUPTED
    rank, failure = min(failures.items(), key=lambda item: _blame_order(*item))
    print(f"tuitrain: error: {describe_failure(rank, failure)}", file=sys.stderr, flush=True)
    return failure.exitcode if 0 < failure.exitcode < 128 else FAILED


def _blame_order(rank: int, failure: Any) -> tuple[int, int, int]:
    """The root cause first: a rank that died or failed on its own, before the ranks that then
    lost contact with it (they say so in their error file), earliest first."""
    mine = _own_report(failure)
    consequence = bool(mine.get("consequence")) or failure.exitcode in _STOPPED_BY_SIGNAL
    return (int(consequence), int(failure.timestamp), rank)


def describe_failure(rank: int, failure: Any) -> str:
    mine = _own_report(failure)
    host = mine.get("host") or socket.gethostname()
    if mine.get("message"):
        return f"rank {rank} on {host}: {mine['message']}"
    if failure.exitcode < 0:
        name = failure.signal_name()
        return f"rank {rank} on {host} was killed by {name} (pid {failure.pid}); the job ended"
    return f"rank {rank} on {host} exited with code {failure.exitcode}; see its rank-{rank}.log"


def _own_report(failure: Any) -> dict[str, Any]:
    data = getattr(failure, "error_file_data", None)
    report = data.get("tuitrain") if isinstance(data, dict) else None
    return report if isinstance(report, dict) else {}


def write_error_file(message: str, *, rank: int, host: str, consequence: bool) -> None:
    """A worker's last words for the launcher: torchrun reads the file when the worker ends.
    `consequence`: this rank failed because another one did (a lost connection)."""
    path = os.environ.get(ERROR_FILE_ENV)
    if not path:
        return
    import time

    report = {"message": message, "rank": rank, "host": host, "consequence": consequence}
    data = {"message": message, "timestamp": int(time.time()), "tuitrain": report}
    with contextlib.suppress(OSError):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data))


@contextlib.contextmanager
def _terminal_kept() -> Iterator[None]:
    """Put the terminal back as it was, even if rank 0 (which drew on it) died hard."""
    fd = sys.stdin.fileno() if sys.stdin is not None and sys.stdin.isatty() else -1
    saved = termios.tcgetattr(fd) if fd >= 0 else None
    try:
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def _signals_passed_on() -> Iterator[None]:
    """SIGWINCH and SIGHUP reach only this process (the terminal's foreground), and SIGUSR1
    (a cluster's pre-emption warning) would end it: pass them to the workers. After a
    hang-up this process also stops writing to the vanished terminal."""

    def winch(signum: int, _frame: FrameType | None) -> None:
        _signal_children(signum)

    def hangup(signum: int, _frame: FrameType | None) -> None:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            with contextlib.suppress(OSError):
                if os.isatty(fd):
                    os.dup2(devnull, fd)
        os.close(devnull)
        _signal_children(signum)

    previous = {
        signal.SIGWINCH: signal.signal(signal.SIGWINCH, winch),
        signal.SIGUSR1: signal.signal(signal.SIGUSR1, winch),  # checkpoint and go on
        signal.SIGHUP: signal.signal(signal.SIGHUP, hangup),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _signal_children(signum: int) -> None:
    for pid in _children(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _children(parent: int) -> list[int]:
    """Direct children of `parent`, from /proc (the workers the launcher started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(parent):
            found.append(int(entry.name))
    return found


def without_devices(argv: Sequence[str]) -> list[str]:
    """The command line the workers run: this one without `--devices N` (or --devices=N)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--devices":
            skip = True
        elif not arg.startswith("--devices="):
            kept.append(arg)
    return kept
