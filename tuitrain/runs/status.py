"""status.json: a run's one-glance summary, and whether the process behind it still lives."""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path
from typing import Any

from tuitrain.runs.atomic import atomic_write_text
from tuitrain.runs.files import STATUS
from tuitrain.textsafe import valid_json_value

LIVE = frozenset({"running", "paused", "starting"})


def _proc_stat(pid: int) -> list[str]:
    """Fields 3 onwards of /proc/<pid>/stat (empty where /proc cannot tell)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # The command name (field 2) may hold spaces and parentheses; fields resume after the last ')'.
    return stat[stat.rfind(")") + 2 :].split()


def process_start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot), to tell a reused pid from ours."""
    fields = _proc_stat(pid)
    return int(fields[19]) if len(fields) > 19 else None


def this_process() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "pid_started": process_start_ticks(os.getpid()),
    }


def process_alive(status: dict[str, Any]) -> bool:
    """Whether the process that wrote `status` is still running (judged on this host only)."""
    pid = status.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    if status.get("host") not in (None, socket.gethostname()):
        return True  # another machine's run: we cannot tell, so trust what it said
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by someone else
    fields = _proc_stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # killed, not yet reaped by its parent
    started = status.get("pid_started")
    return started is None or process_start_ticks(pid) == started


def read_status(run_dir: Path) -> dict[str, Any]:
    """status.json as written, with `status` corrected to 'interrupted' for a dead process."""
    try:
        status = json.loads((run_dir / STATUS).read_text())
    except (OSError, ValueError):
        return {"status": "unknown"}
    if not isinstance(status, dict):
        return {"status": "unknown"}
    if status.get("status") in LIVE and not process_alive(status):
        status = {**status, "status": "interrupted", "died": True}
    return status


def write_status(run_dir: Path, status: dict[str, Any]) -> None:
    """Atomically; NaN becomes null and undecodable file-name bytes \\xNN (valid UTF-8).

    On a full disk the new file cannot be made, but the old one's space can still hold the
    new text (a status is far smaller than a disk block): it is overwritten in place, since a
    status saying `running` for a process that ended is worse than one moment of a torn file
    (readers take an unparsable status as unknown). An OSError when neither works."""
    finite = {
        k: None if isinstance(v, float) and not math.isfinite(v) else valid_json_value(v)
        for k, v in status.items()
    }
    text = json.dumps(finite, indent=2) + "\n"
    try:
        atomic_write_text(run_dir / STATUS, text)
    except OSError:
        _overwrite(run_dir / STATUS, text.encode("utf-8"))


def _overwrite(path: Path, data: bytes) -> None:
    with open(path, "r+b") as handle:  # no truncation first: that would give the space away
        handle.write(data)
        handle.truncate(len(data))
        handle.flush()
        os.fsync(handle.fileno())
