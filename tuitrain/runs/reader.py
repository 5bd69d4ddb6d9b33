"""Reading a run's events.jsonl while another process may be appending to it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tuitrain.engine.events import (
    EpochEnded,
    Event,
    RunResumed,
    StepProgress,
    Validated,
    event_from_dict,
)


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


_PROGRESS = (StepProgress, Validated, EpochEnded)


def current_history(events: Iterable[Event]) -> list[Event]:
    """The run's history as it stands after any resumes.

    A resume goes back to its checkpoint's step: the progress, validation and epoch records a
    stopped or killed process wrote past that step belong to training that was redone, and are
    dropped. Of several records of one epoch that remain, only the last is kept.
    """
    history: list[Event] = []
    for event in events:
        if isinstance(event, RunResumed):
            history = [e for e in history if not (isinstance(e, _PROGRESS) and e.step > event.step)]
        history.append(event)
    last_of_epoch = {e.epoch: e for e in history if isinstance(e, EpochEnded)}
    return [e for e in history if not isinstance(e, EpochEnded) or last_of_epoch[e.epoch] is e]


def read_history(path: Path) -> list[Event]:
    """A run's whole events.jsonl as its history stands after any resumes (current_history)."""
    return current_history(read_events(path)[0])
