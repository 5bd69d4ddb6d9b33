"""`--set section.key=value`: a setting changed on the command line, laid over the preset."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from tuitrain.config import yaml12
from tuitrain.config.document import Document, KeyPath, Location, Origin, dotted, lookup, walk
from tuitrain.config.merge import merge
from tuitrain.config.problems import PresetError, Problem
from tuitrain.config.renamed import renamed_key

_SEGMENT = re.compile(r"^(?P<name>[^.\[\]=\s]+)(?:\[(?P<index>\d{1,6})\])?$")


@dataclass(frozen=True)
class Override:
    text: str
    keys: tuple[str, ...]
    index: int | None
    """A list position ending the key path: `model.widths[1]=64`."""
    value: Any
    written_at: Location | None = None
    """Where a setting from a file (a study's `set:`) was written; None for `--set`."""

    @property
    def location(self) -> Location:
        return self.written_at or Location(f"--set {self.text}")


def _key_path(name: str, where: Location) -> tuple[tuple[str, ...], int | None]:
    """`model.widths[1]` as keys and a final index."""
    segments = name.split(".")
    keys: list[str] = []
    index: int | None = None
    for position, segment in enumerate(segments):
        match = _SEGMENT.match(segment)
        if not match:
            raise PresetError.at(where, f"{name!r} is not a key path like optim.lr")
        if match["index"] is not None:
            if position != len(segments) - 1:
                raise PresetError.at(where, "only the last key can take an index: model.widths[0]")
            index = int(match["index"])
        keys.append(match["name"])
    if keys[0] == "extends":
        raise PresetError.at(where, "--set applies after extends is resolved; it cannot change it")
    return tuple(keys), index


def parse_override(text: str) -> Override:
    """`optim.lr=0.01`: the value is YAML 1.2, read by the same rules as a preset file."""
    where = Location(f"--set {text}")
    name, equals, raw = text.partition("=")
    name = name.strip()
    if not equals or not name:
        raise PresetError.at(where, "expected key=value, e.g. --set optim.lr=0.01")
    keys, index = _key_path(name, where)
    try:
        value = yaml12.compose(raw, where.source).tree
    except PresetError as exc:
        raise PresetError([Problem(where, p.subject, p.message) for p in exc.problems]) from None
    return Override(text, keys, index, value)


def setting(name: str, value: Any, written_at: Location) -> Override:
    """A `--set`-style setting read from a file (`optim.lr: 0.01`), placed where it was written."""
    keys, index = _key_path(name.strip(), written_at)
    return Override(f"{name}={value}", keys, index, value, written_at)


def parse_overrides(texts: Sequence[str]) -> list[Override]:
    """Every --set, with the problems of all bad ones reported together."""
    overrides: list[Override] = []
    problems: list[Problem] = []
    for text in texts:
        try:
            overrides.append(parse_override(text))
        except PresetError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PresetError(problems)
    return overrides


def _with_item(document: Document, override: Override) -> tuple[list[Any], dict[KeyPath, Origin]]:
    """The list at the override's path with one item replaced, and the origins of the others."""
    path, index = override.keys, override.index
    assert index is not None
    current = lookup(document.tree, path)
    if not isinstance(current, list):
        raise PresetError.at(override.location, f"{dotted(path)} is not a list here; set it whole")
    if index >= len(current):
        raise PresetError.at(
            override.location, f"{dotted(path)} has {len(current)} items; [{index}] is past its end"
        )
    items = list(current)
    items[index] = override.value
    kept = {
        at: origin
        for at, origin in document.origins.items()
        if at[: len(path)] == path and len(at) > len(path) and at[len(path)] != index
    }
    return items, kept


def apply_override(document: Document, override: Override) -> Document:
    """document with the override laid over it, by the same rules as `extends`."""
    written = Origin.at(override.location)
    keys, remark = renamed_key(override.keys, written)
    if remark is not None:
        override = replace(override, keys=keys)
    path, value = override.keys, override.value
    origins: dict[KeyPath, Origin] = {}
    if override.index is not None:
        value, origins = _with_item(document, override)
        for at, _ in walk(override.value):
            item: KeyPath = (*path, override.index, *at)
            origins[item] = written
    else:
        for at, _ in walk(value):
            origins[path + at] = written
    for end in range(len(path)):
        origins[path[:end]] = document.origins.get(path[:end], written)
    origins.setdefault(path, document.origins.get(path, written))
    tree: Any = value
    for key in reversed(path):
        tree = {key: tree}
    remarks = [remark] if remark is not None else []
    return merge(document, Document(tree, document.source, origins, remarks))
