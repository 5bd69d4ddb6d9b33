"""Text fit for UTF-8 files that other tools read: file names whose bytes are not UTF-8.

Python decodes such a name with 'surrogateescape', keeping each undecodable byte as a lone
surrogate (U+DC80..U+DCFF). JSON encoders write those as escapes (\\udcff) that strict readers
reject, and a UTF-8 file cannot hold them at all. tuitrain writes each such byte as the four
characters \\xNN instead (a name with byte 0xff reads `caf\\xff.png`): valid UTF-8 everywhere,
and the original bytes can still be told.
"""

from __future__ import annotations

import os
from typing import Any


def valid_text(text: str) -> str:
    """`text` with every undecodable byte (lone surrogate) written as \\xNN."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate no file name decodes to: write it as \uXXXX
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
        return raw.decode("utf-8", "backslashreplace")
    return text


def printable_path(path: os.PathLike[str] | str) -> str:
    return valid_text(os.fspath(path))


def valid_json_value(value: Any) -> Any:
    """`value` with valid_text applied to every string in it (keys included)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_json_value(k): valid_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_json_value(v) for v in value]
    return value
