"""Reading a run's events.jsonl while another process may be appending to it."""

from __future__ import annotations

import json
from pathlib import Path

from tuitrain.engine.events import Event, event_from_dict


def read_events(path: Path, start: int = 0, end: int | None = None) -> tuple[list[Event], int]:
    """Events between byte offsets `start` and `end` (the end of the file when None).

    Returns the events and the offset just past the last complete line read; a torn last line
    (no newline yet) is left for the next call. Lines that do not parse, or events of a kind
    this version does not know, are skipped: a newer writer or a damaged line must not stop a
    reader.
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            data = handle.read() if end is None else handle.read(max(0, end - start))
    except FileNotFoundError:
        return [], start
    complete = data.rfind(b"\n") + 1
    events: list[Event] = []
    for raw in data[:complete].splitlines():
        try:
            events.append(event_from_dict(json.loads(raw)))
        except (ValueError, TypeError):
            continue
    return events, start + complete
