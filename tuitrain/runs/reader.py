"""The one reader of a run's events.jsonl, which another process may be appending to.

view and attach follow it with read_events; compare, export and resume take read_history.
"""

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

STEP_PREFIX = b'{"type":"step"'
"""How a step report's line starts (the writer puts the type first): skipped unparsed when a
reader wants only the epochs, which keeps a long run's log quick to load."""


def read_events(
    path: Path, start: int = 0, end: int | None = None, *, steps: bool = True
) -> tuple[list[Event], int]:
    """Events between byte offsets `start` and `end` (the end of the file when None).

    Returns the events and the offset just past the last complete line read; a torn last line
    (no newline yet) is left for the next call. Lines that do not parse, or events of a kind
    this version does not know, are skipped: a newer writer or a damaged line must not stop a
    reader. `steps=False` leaves out the step reports.
    """
    events: list[Event] = []
    offset = start
    try:
        with open(path, "rb") as handle:
            handle.seek(start)
            for raw in handle:
                if not raw.endswith(b"\n") or (end is not None and offset + len(raw) > end):
                    break
                offset += len(raw)
                if not steps and raw.startswith(STEP_PREFIX):
                    continue
                try:
                    event = event_from_dict(json.loads(raw))
                except (ValueError, TypeError):
                    continue
                events.append(event)
    except FileNotFoundError:
        return [], start
    return events, offset


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


def read_history(path: Path, *, steps: bool = True) -> list[Event]:
    """A run's whole events.jsonl as its history stands after any resumes (current_history);
    `steps=False` leaves out the step reports."""
    return current_history(read_events(path, steps=steps)[0])
