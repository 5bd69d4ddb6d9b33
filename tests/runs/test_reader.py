from pathlib import Path

from tuitrain.engine.events import Log
from tuitrain.runs.reader import read_events


def test_a_torn_last_line_is_left_for_later(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    whole = Log(message="one").to_json() + "\n"
    torn = Log(message="two").to_json()
    path.write_text(whole + torn[:10])
    events, offset = read_events(path)
    assert [e.message for e in events] == ["one"] and offset == len(whole)
    path.write_text(whole + torn + "\n")
    events, offset = read_events(path, offset)
    assert [e.message for e in events] == ["two"]


def test_damaged_and_unknown_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = ["{not json", '{"type": "from_the_future"}', Log(message="ok").to_json(), ""]
    path.write_text("\n".join(lines))
    events, _ = read_events(path)
    assert [e.message for e in events] == ["ok"]


def test_reading_up_to_an_offset(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    first = Log(message="a").to_json() + "\n"
    path.write_text(first + Log(message="b").to_json() + "\n")
    events, offset = read_events(path, 0, len(first))
    assert [e.message for e in events] == ["a"] and offset == len(first)


def test_a_missing_file_reads_as_empty(tmp_path: Path) -> None:
    assert read_events(tmp_path / "none.jsonl") == ([], 0)


def test_current_history_drops_what_a_resume_redid() -> None:
    from tests.runs.test_log import epoch_ended
    from tuitrain.engine.events import RunResumed, StepProgress
    from tuitrain.runs.reader import current_history

    def step(n: int, epoch: int) -> StepProgress:
        return StepProgress(
            step=n, epoch=epoch, batch=n - 4 * (epoch - 1), batches=4, loss=1.0, acc=0.5,
            lr=0.1, images_per_s=1.0, elapsed_s=1.0, eta_epoch_s=None, eta_run_s=None,
        )  # fmt: skip

    def resumed(at: int) -> RunResumed:
        return RunResumed(checkpoint="last.pt", step=at, epoch=at // 4, exact=True)

    # Killed while checkpointing epoch 2 (its row written); resumed from epoch 1's checkpoint.
    events = [step(2, 1), step(4, 1), epoch_ended(1, 4), step(6, 2), step(8, 2)]
    events += [epoch_ended(2, 8), resumed(4), step(6, 2), step(8, 2), epoch_ended(2, 8)]
    events += [step(12, 3), epoch_ended(3, 12), epoch_ended(3, 12)]  # a duplicate, kept once
    history = current_history(events)
    assert [(type(e).__name__, e.step) for e in history] == [
        ("StepProgress", 2),
        ("StepProgress", 4),
        ("EpochEnded", 4),
        ("RunResumed", 4),
        ("StepProgress", 6),
        ("StepProgress", 8),
        ("EpochEnded", 8),
        ("StepProgress", 12),
        ("EpochEnded", 12),
    ]
    assert history[6] is events[9] and history[8] is events[12]  # the last of each epoch


def test_epoch_readers_leave_the_step_reports_out_unparsed(tmp_path: Path) -> None:
    from tuitrain.engine.events import StepProgress
    from tuitrain.runs.reader import STEP_PREFIX, read_history

    step = StepProgress(
        step=1, epoch=1, batch=1, batches=4, loss=1.0, acc=0.5, lr=0.1,
        images_per_s=1.0, elapsed_s=1.0, eta_epoch_s=None, eta_run_s=None,
    ).to_json()  # fmt: skip
    assert step.encode().startswith(STEP_PREFIX)  # what lets a reader skip it unparsed
    path = tmp_path / "events.jsonl"
    path.write_text(step + "\n" + Log(message="kept").to_json() + "\n" + step[:20])
    assert [e.type for e in read_history(path)] == ["step", "log"]
    assert [e.type for e in read_history(path, steps=False)] == ["log"]


NOT_EVENTS = ["null", "42", '"s"', "[1,2]", "{not json", '{"no": "type"}']


def test_lines_that_are_not_event_objects_are_skipped_and_counted(tmp_path: Path) -> None:
    from tuitrain.runs.reader import DamagedLines, read_history_told

    path = tmp_path / "events.jsonl"
    good = [Log(message="a").to_json(), Log(message="b").to_json()]
    lines = [good[0], *NOT_EVENTS, '{"type": "from_the_future"}', good[1]]
    path.write_text("\n".join(lines) + "\n")
    damaged = DamagedLines()
    events, _ = read_events(path, damaged=damaged)
    assert [e.message for e in events] == ["a", "b"]
    assert damaged.count == len(NOT_EVENTS)  # the newer writer's event is not damage
    warning = damaged.warning(path)
    assert warning is not None and warning.level == "warning"
    assert warning.message == f"skipped 6 lines of {path} that are not events (damaged?)"
    assert damaged.warning(path) is None  # said once
    told = read_history_told(path)
    assert [e.message for e in told] == ["a", "b", warning.message]  # type: ignore[attr-defined]
