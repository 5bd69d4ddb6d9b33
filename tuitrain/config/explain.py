"""Pydantic's validation errors, retold at the key a user wrote, with what would be allowed."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from tuitrain.config import structure
from tuitrain.config.document import Document, KeyPath, dotted
from tuitrain.config.preset import Preset
from tuitrain.config.problems import Problem, did_you_mean

_SHOWN_LENGTH = 60
_BOUND_TYPES = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def show(value: Any) -> str:
    """A value as it would be written in YAML, shortened to fit on a line."""
    text = _spell(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."


def _spell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, str):
        return repr(value[: _SHOWN_LENGTH * 2])
    if isinstance(value, list):
        return "[" + ", ".join(_spell(item) for item in value[:_SHOWN_LENGTH]) + "]"
    if isinstance(value, dict):
        items = list(value.items())[:_SHOWN_LENGTH]
        return "{" + ", ".join(f"{key}: {_spell(item)}" for key, item in items) + "}"
    return str(value)


def _aside(description: str | None) -> str:
    """A field's documentation as a parenthesis: ` (folder with one sub-folder per class)`."""
    if not description:
        return ""
    return f" ({description[:1].lower()}{description[1:].rstrip('.')})"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass
class _Reading:
    """One pydantic error, read against the models."""

    error: ErrorDetails
    walk: structure.Walk
    root: type[BaseModel]

    @property
    def type(self) -> str:
        return self.error["type"]

    @property
    def path(self) -> KeyPath:
        return self.walk.path

    @property
    def ctx(self) -> dict[str, Any]:
        return dict(self.error.get("ctx") or {})

    def subject(self) -> str:
        return f"{dotted(self.path)} = {show(self.error['input'])}"


def _choices(reading: _Reading) -> list[str]:
    return [show(choice) for choice in structure.literal_choices(reading.walk.slot)]


_PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "greater_than": lambda ctx: f"greater than {_number(ctx['gt'])}",
    "greater_than_equal": lambda ctx: f"at least {_number(ctx['ge'])}",
    "less_than": lambda ctx: f"less than {_number(ctx['lt'])}",
    "less_than_equal": lambda ctx: f"at most {_number(ctx['le'])}",
    "finite_number": lambda ctx: "a finite number",
    "int_parsing": lambda ctx: "a whole number",
    "int_type": lambda ctx: "a whole number",
    "int_from_float": lambda ctx: "a whole number",
    "float_parsing": lambda ctx: "a number",
    "float_type": lambda ctx: "a number",
    "bool_parsing": lambda ctx: "true or false",
    "bool_type": lambda ctx: "true or false",
    "string_type": lambda ctx: "text",
    "path_type": lambda ctx: "a path (text)",
    "list_type": lambda ctx: "a list",
    "tuple_type": lambda ctx: "a list",
    "dict_type": lambda ctx: "a mapping of settings",
    "model_type": lambda ctx: "a mapping of settings",
    "model_attributes_type": lambda ctx: "a mapping of settings",
    "too_short": lambda ctx: f"a list of at least {_count(ctx['min_length'], 'item')}",
    "too_long": lambda ctx: f"a list of at most {_count(ctx['max_length'], 'item')}",
    "string_too_short": lambda ctx: f"at least {_count(ctx['min_length'], 'character')} long",
    "string_too_long": lambda ctx: f"at most {_count(ctx['max_length'], 'character')} long",
}


def _requirement(reading: _Reading) -> str | None:
    """What the value must be, as a phrase after 'must be'; None for a rule's own message."""
    if reading.type == "literal_error":
        choices = _choices(reading) or [reading.ctx.get("expected", "")]
        return choices[0] if len(choices) == 1 else "one of " + ", ".join(choices)
    if reading.type == "string_pattern_mismatch":
        hint = reading.walk.slot.description if reading.walk.slot else None
        pattern = reading.ctx.get("pattern", "")
        return f"text matching {pattern}{_aside(hint)}"
    phrase = _PHRASES.get(reading.type)
    if phrase is not None:
        return phrase(reading.ctx)
    message = reading.error["msg"]
    return message.removeprefix("Input should be ") if message.startswith("Input should") else None


def _allowed_range(reading: _Reading) -> str:
    name = next((key for key in reversed(reading.path) if isinstance(key, str)), "value")
    text, sides = structure.bounds_text(reading.walk.slot, name)
    if sides == 0 or (sides == 1 and reading.type in _BOUND_TYPES):
        return ""  # a one-sided bound is already all that "must be at least 1" says
    return f" (allowed: {text})"


def _section_hint(reading: _Reading) -> str:
    """For `optim: adam`, the spelling that works: `optim: {kind: adam}`."""
    value = reading.error["input"]
    if isinstance(value, str) and value in structure.kinds_of(reading.walk.slot):
        return f"; write {dotted(reading.path)}: {{kind: {value}}}"
    return ""


def _wrong_value(readings: list[_Reading], document: Document) -> Problem:
    first = readings[0]
    location = document.origin(first.path).value
    phrases = [_requirement(reading) for reading in readings]
    if any(phrase is None for phrase in phrases):  # a rule's own message says it best
        message = first.error["msg"].removeprefix("Value error, ")
        return Problem(location, first.subject(), message)
    if len(readings) > 1:
        parts = [
            f"{phrase}{_allowed_range(reading)}"
            for phrase, reading in zip(phrases, readings, strict=True)
        ]
        return Problem(location, first.subject(), "must be " + " or ".join(parts))
    message = f"must be {phrases[0]}{_allowed_range(first)}"
    value = first.error["input"]
    if first.type == "literal_error" and isinstance(value, (str, int)):
        choices = [str(choice) for choice in structure.literal_choices(first.walk.slot)]
        message += did_you_mean(str(value), choices)
    if first.type in ("model_type", "model_attributes_type", "dict_type"):
        message += _section_hint(first)
    return Problem(location, first.subject(), message)


def _unknown_key(reading: _Reading, document: Document) -> Problem:
    key = reading.path[-1]
    parent = structure.read_location(tuple(reading.error["loc"][:-1]), reading.root)
    model = structure.model_of(parent.slot)
    allowed = sorted(model.model_fields) if model is not None else []
    message = "unknown key" + did_you_mean(str(key), allowed)
    if parent.tagged and isinstance(key, str):
        owners = structure.members_with_key(parent.union, key)
        if owners:
            message += f"; it is a setting of {', '.join(owners)} only"
    if allowed:
        message += f" (allowed here: {', '.join(allowed)})"
    return Problem(document.origin(reading.path).key, dotted(reading.path), message)


def _missing(reading: _Reading, document: Document) -> Problem:
    path, key = reading.path[:-1], reading.path[-1]
    if isinstance(key, int):
        holder = structure.read_location(tuple(reading.error["loc"][:-1]), reading.root)
        needed = structure.tuple_length(holder.slot)
        wanted = f"needs {needed} items" if needed else f"item {key} is missing"
        subject = f"{dotted(path)} = {show(reading.error['input'])}"
        return Problem(document.origin(path).value, subject, f"too few items: {wanted}")
    where = document.origin(path)
    location = where.key if path else where.value
    about = reading.walk.slot.description if reading.walk.slot else None
    message = "required, but missing" + _aside(about)
    return Problem(location, dotted(reading.path), message)


def _bad_kind(reading: _Reading, document: Document) -> Problem:
    kinds = structure.kinds_of(reading.walk.slot)
    allowed = f"(allowed: {', '.join(kinds)})"
    if reading.type == "union_tag_not_found":
        location = document.origin(reading.path).key
        return Problem(location, dotted(reading.path), f"needs a kind {allowed}")
    value = reading.error["input"]
    kind = value.get("kind") if isinstance(value, dict) else value
    path = (*reading.path, "kind")
    subject = f"{dotted(path)} = {show(kind)}"
    message = f"unknown kind{did_you_mean(str(kind), kinds)} {allowed}"
    return Problem(document.origin(path).value, subject, message)


def _grouped(readings: list[_Reading]) -> list[list[_Reading]]:
    """Errors from the branches of one union (e.g. an integer or 'auto') become one group."""
    groups: list[list[_Reading]] = []
    branches: dict[KeyPath, list[_Reading]] = {}
    for reading in readings:
        if reading.walk.tagged and reading.type not in ("extra_forbidden", "missing"):
            if reading.path in branches:
                branches[reading.path].append(reading)
                continue
            branches[reading.path] = [reading]
            groups.append(branches[reading.path])
        else:
            groups.append([reading])
    return groups


def explain(
    error: ValidationError, document: Document, root: type[BaseModel] = Preset
) -> list[Problem]:
    """One problem per mistake, each placed where the user wrote the key or value; `root` is
    the model the document was validated against."""
    readings = [
        _Reading(details, structure.read_location(tuple(details["loc"]), root), root)
        for details in error.errors(include_url=False)
    ]
    problems: list[Problem] = []
    for group in _grouped(readings):
        first = group[0]
        if first.type == "extra_forbidden":
            problems.append(_unknown_key(first, document))
        elif first.type == "missing":
            problems.append(_missing(first, document))
        elif first.type in ("union_tag_invalid", "union_tag_not_found"):
            problems.append(_bad_kind(first, document))
        else:
            problems.append(_wrong_value(group, document))
    return problems
