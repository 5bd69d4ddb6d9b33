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
