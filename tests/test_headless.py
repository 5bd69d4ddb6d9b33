"""The headless printer's lines for the events a batch log most needs to get right."""

from __future__ import annotations

import io
import os

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


def test_a_reader_that_goes_away_silences_the_printer_not_the_run() -> None:
    read_end, write_end = os.pipe()
    stream = os.fdopen(write_end, "w")
    printer = HeadlessPrinter(stream)
    os.close(read_end)  # `| head` has read its lines and left
    failed = ev.Failed(error="nan", message="loss is NaN", step=42)
    printer(failed)  # no BrokenPipeError reaches the event bus
    printer(failed)
    assert printer.stream is not stream
