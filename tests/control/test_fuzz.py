"""Whatever arrives on the socket, the server answers or hangs up, and the run trains on."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.control.conftest import RUN_NAME
from tests.control.harness import FakeRun
from tests.control.raw import RawClient

# Valid pause and stop commands would (rightly) halt the trainer; everything else goes.
COMMAND_NAMES = st.sampled_from(["validate", "checkpoint", "lr_scale", "lr", "resume", "explode"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
MESSAGES = st.fixed_dictionaries(
    {"type": st.sampled_from(["hello", "subscribe", "command", "ping", "bye"])},
    optional={
        "version": st.one_of(st.just(1), JSON_VALUES),
        "client": st.sampled_from(["ctl", "attach", "key", "signal", ""]),
        "command": st.one_of(COMMAND_NAMES, JSON_VALUES),
        "args": st.one_of(
            st.fixed_dictionaries({}, optional={"factor": SCALARS, "value": SCALARS}), JSON_VALUES
        ),
        "source": st.one_of(st.sampled_from(["ctl", "attach", "key", "signal"]), JSON_VALUES),
        "id": JSON_VALUES,
    },
)
LINES = st.one_of(
    st.binary(max_size=300),
    MESSAGES.map(lambda m: json.dumps(m).encode() + b"\n"),
    st.sampled_from([b"\n", b"NaN\n", b"[" * 5000 + b"\n", b"x" * 70_000, b"{}\n"]),
)


@pytest.fixture(scope="module")
def busy_run() -> Iterator[FakeRun]:
    base = Path(tempfile.mkdtemp(prefix="tf-"))
    with FakeRun(base / RUN_NAME, step_s=0.001) as run:
        yield run
    shutil.rmtree(base, ignore_errors=True)


def exchange(run: FakeRun, hello: bool, lines: list[bytes]) -> list[dict[str, Any]]:
    """Send the lines, then a ping; read replies until its answer or the server hangs up."""
    client = RawClient(run.socket)
    replies: list[dict[str, Any]] = []
    try:
        if hello:
            client.hello()
        client.send(b"".join(lines) + b'\n{"type":"ping","id":"fuzz-end"}\n')
        while True:
            replies.append(client.read(timeout=5.0))
            if replies[-1].get("id") == "fuzz-end":
                break
    except (AssertionError, BrokenPipeError, ConnectionResetError):
        pass  # the server hung up on it: allowed, as long as it did so on purpose
    except TimeoutError:
        pytest.fail(f"the server went silent; replies so far: {replies[-3:]}")
    finally:
        client.close()
    return replies


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(hello=st.booleans(), lines=st.lists(LINES, max_size=12))
def test_random_input_never_stops_the_server_or_the_run(
    busy_run: FakeRun, hello: bool, lines: list[bytes]
) -> None:
    step = busy_run.trainer.step
    for reply in exchange(busy_run, hello, lines):
        assert reply["type"] in {"welcome", "event", "ack", "error", "pong", "subscribed"}
    assert busy_run.trainer.alive
    fresh = RawClient(busy_run.socket)
    assert fresh.hello()["type"] == "welcome"
    fresh.close()
    if busy_run.trainer.paused:  # a lone resume is refused; nothing here can pause it
        pytest.fail("the fuzz paused the trainer")
    busy_run.wait_steps(1)
    assert busy_run.trainer.step > step
