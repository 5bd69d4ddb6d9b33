"""Framing, decoding and the rate limit, on their own."""

from __future__ import annotations

import pytest

from tuitrain.control import protocol
from tuitrain.control.protocol import LineBuffer, ProtocolError, RateLimit


def test_lines_split_across_chunks_come_out_whole() -> None:
    lines = LineBuffer(limit=100)
    assert lines.feed(b'{"a":') == []
    assert lines.feed(b'1}\n{"b":2}\n{"c"') == [b'{"a":1}', b'{"b":2}']
    assert lines.feed(b":3}\n") == [b'{"c":3}']


def test_a_too_long_line_is_reported_once_and_the_stream_resyncs() -> None:
    lines = LineBuffer(limit=16)
    assert lines.feed(b"x" * 10) == []
    assert lines.feed(b"x" * 10) == [None]
    assert lines.feed(b"x" * 100) == []
    assert lines.feed(b"xx\nok\n") == [b"ok"]


def test_a_complete_line_over_the_limit_is_refused() -> None:
    lines = LineBuffer(limit=8)
    assert lines.feed(b"1234567\n12345678\n") == [b"1234567", None]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{", protocol.BAD_JSON),
        (b"\xff\xfe", protocol.BAD_JSON),
        (b'{"type":"command","args":{"factor":NaN}}', protocol.BAD_JSON),
        (b"[1, 2]", protocol.BAD_REQUEST),
        (b'{"type": 3}', protocol.BAD_REQUEST),
        (b"[" * 100_000, protocol.BAD_JSON),
    ],
)
def test_malformed_lines_are_protocol_errors(raw: bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        protocol.decode(raw)
    assert caught.value.code == code


def test_encode_is_one_line_and_decodes_back() -> None:
    message = {"type": "event", "text": "two\nlines"}
    line = protocol.encode(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert protocol.decode(line[:-1]) == message


def test_rate_limit_allows_a_burst_then_refuses() -> None:
    limit = RateLimit(rate=1.0, burst=5)
    assert [limit.allow() for _ in range(7)] == [True] * 5 + [False] * 2
