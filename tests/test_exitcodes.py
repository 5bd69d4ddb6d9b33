"""How a run's ending maps to the process exit code."""

from __future__ import annotations

from tuitrain.engine import events as ev
from tuitrain.exitcodes import INTERRUPTED, NOT_SAVED, OK, TERMINATED, for_result


def finished(status: str, unsaved: str = "") -> ev.Finished:
    return ev.Finished(
        status=status, step=10, epoch=1, elapsed_s=1.0, best_metric="val_acc", best_value=None,
        unsaved=unsaved,
    )  # fmt: skip


def test_work_not_saved_is_exit_6_whatever_else_ended_the_run() -> None:
    lost = "could not save the signal checkpoint (cannot write last.pt: No space left on device)"
    assert for_result(finished("completed")) == OK
    assert for_result(finished("completed", lost)) == NOT_SAVED
    assert for_result(finished("stopped", lost)) == NOT_SAVED
    assert for_result(finished("interrupted"), TERMINATED) == TERMINATED
    assert for_result(finished("interrupted", lost), TERMINATED) == NOT_SAVED
    assert for_result(finished("interrupted"), INTERRUPTED, "12 events of events.jsonl") == 6
