"""docs/events.md is read by other tools' authors: it must name every event and field."""

import dataclasses
import re
from pathlib import Path

from tuitrain.engine.events import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def documented() -> dict[str, str]:
    sections = re.split(r"^### ", DOC.read_text(), flags=re.MULTILINE)[1:]
    found: dict[str, str] = {}
    for section in sections:
        heading, _, body = section.partition("\n")
        for name in re.findall(r"`(\w+)`", heading):
            found[name] = body
    return found


def test_every_event_type_and_field_is_documented() -> None:
    sections = documented()
    for name, cls in EVENT_TYPES.items():
        assert name in sections, f"docs/events.md has no section for {name}"
        table = sections[name]
        cells = set(re.findall(r"^\| ([\w, ]+) \|", table, flags=re.MULTILINE))
        names = {part.strip() for cell in cells for part in cell.split(",")}
        for field in dataclasses.fields(cls):
            if field.name != "time":
                assert field.name in names, f"{name}.{field.name} is not documented"
