"""The headless printer's lines for the events a batch log most needs to get right."""

from __future__ import annotations

import io

from tuitrain.engine import events as ev
from tuitrain.headless import HeadlessPrinter


def printed(*events: ev.Event) -> list[str]:
    stream = io.StringIO()
    printer = HeadlessPrinter(stream)
    for event in events:
        printer(event)
    return [line.split("  ", 1)[1] for line in stream.getvalue().splitlines()]


def test_a_failure_says_at_which_step() -> None:
    failed = ev.Failed(error="nan", message="loss is NaN", step=42)
    assert printed(failed) == ["FAILED (nan) at step 42: loss is NaN"]


def test_a_failure_before_the_first_step_says_so() -> None:
    failed = ev.Failed(error="input", message="image folder is empty")
    assert printed(failed) == ["FAILED (input) before training: image folder is empty"]
