"""The one reader of a run's events.jsonl, which another process may be appending to.

view and attach follow it with read_events; compare, export and resume take read_history.
Every one of them skips a line that is not an event, counts it in a DamagedLines, and says so
once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tuitrain.engine.events import (
    EVENT_TYPES,
    EpochEnded,
    Event,
    Log,
    RunResumed,
    StepProgress,
    Validated,
    event_from_dict,
)

STEP_PREFIX = b'{"type":"step"'
"""How a step report's line starts (the writer puts the type first): skipped unparsed when a
reader wants only the epochs, which keeps a long run's log quick to load."""


@dataclass
class DamagedLines:
    """Lines of an events.jsonl that are not events (not JSON, not an object, or an object
    whose fields do not fit its type): skipped and counted, so a reader can say so once.
    Objects of a type this version does not know are a newer writer's, and pass silently."""

    count: int = 0
    said: bool = False

    def message(self, path: Path) -> str:
        lines = "line" if self.count == 1 else "lines"
        return f"skipped {self.count} {lines} of {path} that are not events (damaged?)"

    def warning(self, path: Path) -> Log | None:
        """A warning event, the first time lines were skipped; None before and after."""
        if self.said or not self.count:
            return None
        self.said = True
        return Log(level="warning", message=self.message(path))


def parse_line(raw: bytes, damaged: DamagedLines | None = None) -> Event | None:
    """The event on one line, or None for a line that is not one (counted in `damaged`)."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    else:
        kind = data.get("type") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind not in EVENT_TYPES:
            return None  # a newer writer's kind of event: readers ignore it
    if isinstance(data, dict):
        try:
            return event_from_dict(data)
        except (ValueError, TypeError):
            pass
    if damaged is not None and raw.strip():
        damaged.count += 1
    return None


def read_events(
    path: Path,
    start: int = 0,
    end: int | None = None,
    *,
    steps: bool = True,
    damaged: DamagedLines | None = None,
) -> tuple[list[Event], int]:
    """Events between byte offsets `start` and `end` (the end of the file when None).

    Returns the events and the offset just past the last complete line read; a torn last line
    (no newline yet) is left for the next call. Lines that are not events are skipped and
    counted in `damaged`; events of a kind this version does not know are skipped: a newer
    writer or a damaged line must not stop a reader. `steps=False` leaves out the step reports.
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
                event = parse_line(raw, damaged)
                if event is not None:
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


def read_history(
    path: Path, *, steps: bool = True, damaged: DamagedLines | None = None
) -> list[Event]:
    """A run's whole events.jsonl as its history stands after any resumes (current_history);
    `steps=False` leaves out the step reports; lines that are not events count in `damaged`."""
    return current_history(read_events(path, steps=steps, damaged=damaged)[0])


def read_history_told(path: Path) -> list[Event]:
    """read_history, ending with a warning event when lines of the file were not events."""
    damaged = DamagedLines()
    history = read_history(path, damaged=damaged)
    warning = damaged.warning(path)
    return [*history, warning] if warning is not None else history
