"""Run directories written by hand, as the run log would write them."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from tuitrain.engine import events as ev


def write_run(
    path: Path,
    events: list[ev.Event],
    status: str = "completed",
    torn: str = "",
    alive: bool = False,
) -> Path:
    """events.jsonl (plus a torn last line if given) and status.json; `alive` makes status.json
    name this test process, so a reader sees a live run."""
    path.mkdir(parents=True, exist_ok=True)
    lines = "".join(event.to_json() + "\n" for event in events)
    (path / "events.jsonl").write_text(lines + torn, encoding="utf-8")
    set_status(path, status, alive=alive)
    return path


def set_status(path: Path, status: str, alive: bool = False) -> None:
    data = {
        "status": status,
        "epoch": 3,
        "epochs": 10,
        "step": 150,
        "best_metric": "val_acc",
        "best_value": 0.59,
    }
    if alive:
        data.update(pid=os.getpid(), host=socket.gethostname())
    else:
        data.update(pid=2**22 + 12345, host=socket.gethostname())
    (path / "status.json").write_text(json.dumps(data), encoding="utf-8")


def append(path: Path, text: str) -> None:
    with open(path / "events.jsonl", "a", encoding="utf-8") as handle:
        handle.write(text)
