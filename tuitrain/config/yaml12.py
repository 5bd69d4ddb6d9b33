"""YAML read as YAML 1.2 (core schema): bounded in size and depth, every key placed.

PyYAML's own constructors follow YAML 1.1, where `no` is false and `1e-4` is text. Here the
parser's events are turned into values directly, without recursion, so only `true`/`false`
are booleans, `1e-4` and `.5` are numbers, and a deep `[[[[...` or an alias bomb stops at a
budget with a clean error instead of a RecursionError or an hour of work.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events as ev

from tuitrain.config.document import Document, KeyPath, Location, Origin
from tuitrain.config.problems import PresetError

MAX_DEPTH = 32
"""Nesting levels allowed in a preset; real presets use four."""
MAX_VALUES = 10_000
"""Keys and values allowed in one file, counting every copy an alias makes."""
MAX_ANCHORS = 100

_STANDARD = "tag:yaml.org,2002:"
_SCALAR_TAGS = ("str", "int", "float", "bool", "null")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class ScalarError(ValueError):
    """A scalar that its tag does not allow, e.g. `!!int abc`."""


def _integer(text: str) -> int | None:
    if _INT10.match(text):
        return int(text, 10)
    if _INT8.match(text):
        return int(text[2:], 8)
    if _INT16.match(text):
        return int(text[2:], 16)
    return None


def _float(text: str) -> float | None:
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return None


def resolve_plain(text: str) -> Any:
    """The value of an unquoted, untagged scalar under the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        number = _integer(text)
    except ValueError:
        raise ScalarError(f"the number {text[:20]}... has too many digits") from None
    if number is not None:
        return number
    real = _float(text)
    return text if real is None else real


def _resolve_tagged(tag: str, text: str) -> Any:
    name = tag.removeprefix(_STANDARD)
    if name == "str":
        return text
    if name == "null" and _NULL.match(text):
        return None
    if name == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    value = resolve_plain(text)
    if name == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if name == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise ScalarError(f"{text!r} is not a valid !!{name}")


def shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_STANDARD) if tag.startswith(_STANDARD) else tag


def _scalar_value(event: ev.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None:
        return resolve_plain(event.value) if event.style is None else event.value
    if tag == "!":
        return event.value
    if tag.removeprefix(_STANDARD) in _SCALAR_TAGS and tag.startswith(_STANDARD):
        return _resolve_tagged(tag, event.value)
    raise ScalarError(f"the tag {shown_tag(tag)} is not allowed; presets hold plain values")


def _check_collection_tag(event: ev.CollectionStartEvent, kind: str) -> None:
    if event.tag not in (None, "!", _STANDARD + kind):
        raise ScalarError(
            f"the tag {shown_tag(event.tag)} is not allowed; presets hold plain values"
        )


@dataclass
class _Anchor:
    value: Any
    origins: dict[KeyPath, Origin]
    size: int
    height: int


@dataclass
class _Frame:
    """A mapping or sequence being filled."""

    path: KeyPath
    value: dict[str, Any] | list[Any]
    origin: Origin
    anchor: str | None
    first_value: int
    key: tuple[str, Location] | None = None
    key_lines: dict[str, Location] = field(default_factory=dict)


class _Builder:
    """Turns parser events into values and origins, within the size and depth budgets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.origins: dict[KeyPath, Origin] = {}
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.values = 0
        self.documents = 0
        self.root: Any = None

    def at(self, event: ev.Event) -> Location:
        mark = event.start_mark
        if mark is None:  # PyYAML's parser marks every event; a hand-made one may not
            return Location(self.source)
        return Location(self.source, mark.line + 1, mark.column + 1)

    def fail(self, event: ev.Event, message: str) -> PresetError:
        return PresetError.at(self.at(event), message)

    def feed(self, event: ev.Event) -> None:
        if isinstance(event, ev.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(event, "holds more than one YAML document; a preset is one")
        elif isinstance(event, ev.ScalarEvent):
            self.scalar(event)
        elif isinstance(event, ev.AliasEvent):
            self.alias(event)
        elif isinstance(event, ev.MappingStartEvent):
            _check_collection_tag(event, "map")
            self.open(event, {})
        elif isinstance(event, ev.SequenceStartEvent):
            _check_collection_tag(event, "seq")
            self.open(event, [])
        elif isinstance(event, ev.CollectionEndEvent):
            self.close(event)

    def count(self, event: ev.Event, values: int) -> None:
        self.values += values
        if self.values > MAX_VALUES:
            raise self.fail(event, f"too large: more than {MAX_VALUES} values (aliases count)")

    def awaiting_key(self) -> bool:
        top = self.stack[-1] if self.stack else None
        return top is not None and isinstance(top.value, dict) and top.key is None

    def scalar(self, event: ev.ScalarEvent) -> None:
        self.count(event, 1)
        if self.awaiting_key():
            self.take_key(event)
            return
        value = _scalar_value(event)
        path, key_at = self.place(event, value, height=0)
        self.origins[path] = Origin(key_at, self.at(event))
        if event.anchor:
            self.remember(event, event.anchor, _Anchor(value, {(): self.origins[path]}, 1, 0))

    def take_key(self, event: ev.ScalarEvent) -> None:
        if event.tag not in (None, "!", _STANDARD + "str"):
            raise self.fail(event, f"the tag {shown_tag(event.tag)} is not allowed on a key")
        frame = self.stack[-1]
        name, where = event.value, self.at(event)
        if name == "<<" and event.style is None:
            raise self.fail(event, "merge keys (<<) are not YAML 1.2; use `extends:` instead")
        first = frame.key_lines.get(name)
        if first is not None:
            lines = f"first on line {first.line}, again on line {where.line}"
            raise self.fail(event, f"duplicate key {name!r}: {lines}")
        frame.key_lines[name] = where
        frame.key = (name, where)

    def place(self, event: ev.Event, value: Any, height: int) -> tuple[KeyPath, Location]:
        """Put value into the collection being filled; its key path and where its key is."""
        if not self.stack:
            self.root = value
            return (), self.at(event)
        frame = self.stack[-1]
        if isinstance(frame.value, dict):
            assert frame.key is not None
            name, key_at = frame.key
            frame.value[name] = value
            frame.key = None
            path: KeyPath = (*frame.path, name)
        else:
            path, key_at = (*frame.path, len(frame.value)), self.at(event)
            frame.value.append(value)
        if len(path) + height > MAX_DEPTH:
            raise self.fail(event, f"nested more than {MAX_DEPTH} levels deep")
        return path, key_at

    def open(self, event: ev.CollectionStartEvent, value: dict[str, Any] | list[Any]) -> None:
        if self.awaiting_key():
            raise self.fail(event, "a key must be a plain name, not a mapping or a list")
        self.count(event, 1)
        path, key_at = self.place(event, value, height=0)
        origin = Origin(key_at, self.at(event))
        self.origins[path] = origin
        self.stack.append(_Frame(path, value, origin, event.anchor, self.values))

    def close(self, event: ev.CollectionEndEvent) -> None:
        frame = self.stack.pop()
        if frame.anchor is None:
            return
        depth = len(frame.path)
        origins = {
            path[depth:]: origin
            for path, origin in self.origins.items()
            if path[:depth] == frame.path
        }
        height = max(len(path) for path in origins)
        size = self.values - frame.first_value + 1
        self.remember(event, frame.anchor, _Anchor(frame.value, origins, size, height))

    def remember(self, event: ev.Event, name: str, anchor: _Anchor) -> None:
        if len(self.anchors) >= MAX_ANCHORS and name not in self.anchors:
            raise self.fail(event, f"more than {MAX_ANCHORS} anchors")
        self.anchors[name] = anchor

    def alias(self, event: ev.AliasEvent) -> None:
        if self.awaiting_key():
            raise self.fail(event, "a key must be a plain name, not an alias")
        anchor = self.anchors.get(event.anchor) if event.anchor is not None else None
        if anchor is None:
            raise self.fail(event, f"alias *{event.anchor} refers to no anchor defined before it")
        self.count(event, anchor.size)
        path, key_at = self.place(event, copy.deepcopy(anchor.value), anchor.height)
        for rel, origin in anchor.origins.items():
            self.origins[path + rel] = origin
        self.origins[path] = Origin(key_at, self.at(event))


def _syntax_error(exc: yaml.YAMLError, source: str, text: str) -> PresetError:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        detail = exc.problem or "syntax error"
        if exc.context:
            detail = f"{detail} ({exc.context})"
        where = Location(source, mark.line + 1, mark.column + 1)
        return PresetError.at(where, f"not valid YAML: {detail}")
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        reason = getattr(exc, "reason", "") or "unreadable character"
        return PresetError.at(Location(source, line, column), f"not valid YAML: {reason}")
    return PresetError.at(Location(source), f"not valid YAML: {exc}")


def compose(text: str, source: str) -> Document:
    """The single YAML document in text; an empty document gives a tree of None."""
    builder = _Builder(source)
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            try:
                builder.feed(event)
            except ScalarError as exc:
                raise builder.fail(event, str(exc)) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, source, text) from None
    return Document(builder.root, source, builder.origins)
