"""Preset text in YAML, JSON or TOML, read into a Document that knows where each key was written."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from tuitrain.config import yaml12
from tuitrain.config.document import Document, KeyPath, Location, Origin, walk
from tuitrain.config.problems import PresetError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_NOT_A_MAPPING = "a preset must be a mapping of sections (data:, model:, optim:, ...)"
_TOO_DEEP = f"nested more than {yaml12.MAX_DEPTH} levels deep"
_TOO_LARGE = f"too large: more than {yaml12.MAX_VALUES} values"


def parse(text: str, source: str, suffix: str) -> Document:
    """The document in text; suffix picks the format (.json, .toml, anything else is YAML)."""
    if not text.strip():
        raise PresetError.at(Location(source), f"is empty; {_NOT_A_MAPPING}")
    suffix = suffix.lower()
    if suffix == ".json":
        document = _parse_json(text, source)
    elif suffix == ".toml":
        document = _parse_toml(text, source)
    else:
        document = yaml12.compose(text, source)
    tree = document.tree
    if tree is None or (suffix == ".toml" and tree == {}):
        raise PresetError.at(Location(source), f"holds no settings; {_NOT_A_MAPPING}")
    if not isinstance(tree, dict):
        kind = "list" if isinstance(tree, list) else "single value"
        where = document.origin(()).value
        raise PresetError.at(where, f"holds a {kind}; {_NOT_A_MAPPING}")
    return document


def _check_size(tree: Any, source: str) -> None:
    """The YAML reader's budgets, for formats parsed by other libraries."""
    for count, (path, _) in enumerate(walk(tree), 1):
        if len(path) > yaml12.MAX_DEPTH:
            raise PresetError.at(Location(source), _TOO_DEEP)
        if count > yaml12.MAX_VALUES:
            raise PresetError.at(Location(source), _TOO_LARGE)


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


def _parse_json(text: str, source: str) -> Document:
    try:
        tree = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        where = Location(source, exc.lineno, exc.colno)
        raise PresetError.at(where, f"not valid JSON: {exc.msg}") from None
    except _DuplicateKey as exc:
        yaml12.compose(text, source)  # places the duplicate, naming both lines
        raise PresetError.at(Location(source), f"duplicate key {exc.args[0]!r}") from None
    except RecursionError:
        raise PresetError.at(Location(source), _TOO_DEEP) from None
    except ValueError:  # the one other refusal: an integer longer than Python converts
        raise PresetError.at(Location(source), "a number has too many digits") from None
    _check_size(tree, source)
    try:  # JSON is close to a subset of YAML 1.2: the YAML reader finds where keys are
        origins = yaml12.compose(text, source).origins
    except PresetError:
        origins = {(): Origin.at(Location(source, 1, 1))}
    return Document(tree, source, origins)


_TOML_PLACE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")


def _parse_toml(text: str, source: str) -> Document:
    try:
        tree = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        place = _TOML_PLACE.search(message)
        line, column = (int(place[1]), int(place[2])) if place and place[1] else (0, 0)
        detail = _TOML_PLACE.sub("", message)
        raise PresetError.at(Location(source, line, column), f"not valid TOML: {detail}") from None
    except RecursionError:
        raise PresetError.at(Location(source), _TOO_DEEP) from None
    _check_size(tree, source)
    return Document(tree, source, _toml_origins(text, source))


_PIECE = r"""(?:[A-Za-z0-9_-]+|"[^"\\]*"|'[^']*')"""
_DOTTED = rf"{_PIECE}(?:\s*\.\s*{_PIECE})*"
_TABLE = re.compile(rf"^\s*\[\[?\s*(?P<key>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=\s*")
_INLINE = re.compile(rf"(?P<key>{_DOTTED})\s*=\s*")


def _keys(dotted_key: str) -> KeyPath:
    return tuple(piece.strip("\"'") for piece in re.findall(_PIECE, dotted_key))


def _toml_origins(text: str, source: str) -> dict[KeyPath, Origin]:
    """Best effort: table headers, `key = value` lines and one level of inline tables.

    Keys it cannot place (arrays of tables, multi-line values) fall back to their section.
    """
    origins: dict[KeyPath, Origin] = {(): Origin.at(Location(source, 1, 1))}
    table: KeyPath = ()
    open_quote = ""
    for number, line in enumerate(text.splitlines(), 1):
        if open_quote:
            open_quote = "" if open_quote in line else open_quote
            continue
        header = _TABLE.match(line)
        if header:
            table = _keys(header["key"])
            origins.setdefault(table, Origin.at(Location(source, number, header.start("key") + 1)))
            continue
        assign = _ASSIGN.match(line)
        if not assign:
            continue
        keys = _keys(assign["key"])
        key_at = Location(source, number, assign.start("key") + 1)
        for end in range(1, len(keys) + 1):
            value_at = Location(source, number, assign.end() + 1) if end == len(keys) else key_at
            origins.setdefault(table + keys[:end], Origin(key_at, value_at))
        rest = line[assign.end() :]
        if rest.startswith("{"):
            for inner in _INLINE.finditer(rest):
                column = assign.end() + inner.start("key") + 1
                inner_key = Location(source, number, column)
                inner_value = Location(source, number, assign.end() + inner.end() + 1)
                path = table + keys + _keys(inner["key"])
                origins.setdefault(path, Origin(inner_key, inner_value))
        for quote in ('"""', "'''"):
            if rest.count(quote) % 2:
                open_quote = quote
    return origins
