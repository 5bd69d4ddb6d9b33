import math

import pytest

from tuitrain.engine import commands as cmd


def test_wire_form_round_trips() -> None:
    original = cmd.ScaleLR(0.5, source="ctl")
    rebuilt = cmd.command_from_dict(original.to_dict())
    assert rebuilt == original


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "JSON object"),
        ({"command": "explode"}, "unknown command"),
        ({"command": "lr_scale", "args": {"factor": math.nan}}, "finite"),
        ({"command": "lr_scale", "args": {"factor": -1}}, "finite"),
        ({"command": "lr", "args": {"value": "fast"}}, "number"),
        ({"command": "lr", "args": {"value": True}}, "number"),
        ({"command": "pause", "args": {"extra": 1}}, "bad arguments"),
        ({"command": "pause", "args": []}, "args"),
        ({"command": "stop", "args": {"status": "exploded"}}, "status"),
        ({"command": "pause", "source": "x" * 100}, "short string"),
    ],
)
def test_malformed_commands_are_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cmd.command_from_dict(data)  # type: ignore[arg-type]


def test_each_command_gets_a_distinct_id() -> None:
    assert cmd.Pause().id != cmd.Pause().id
