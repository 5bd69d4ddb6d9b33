"""A parsed preset file: its plain values, and where each key and value was written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Key = str | int
KeyPath = tuple[Key, ...]

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Location:
    """A place a user can go to: `file:line:col`, or a command-line argument (line 0)."""

    source: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Origin:
    """Where a key path was written: its key, and the start of its value."""

    key: Location
    value: Location

    @classmethod
    def at(cls, location: Location) -> Origin:
        return cls(location, location)


@dataclass
class Document:
    """Plain values (dicts, lists, scalars) with an origin for every key path that has one."""

    tree: Any
    source: str
    origins: dict[KeyPath, Origin] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)
    """Placed warnings found while reading (an old section name), given with the preset's."""

    def origin(self, path: KeyPath) -> Origin:
        """The origin of path, or of its nearest ancestor that was written somewhere."""
        for end in range(len(path), -1, -1):
            found = self.origins.get(path[:end])
            if found is not None:
                return found
        return Origin.at(Location(self.source))


def dotted(path: KeyPath) -> str:
    """A key path as a user writes it: `optim.lr`, `model.widths[1]`."""
    text = ""
    for key in path:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            name = key if _PLAIN_NAME.match(key) else repr(key)
            text += f".{name}" if text else name
    return text


def walk(tree: Any) -> Iterator[tuple[KeyPath, Any]]:
    """Every key path in tree with its value, parents before children, without recursion."""
    pending: list[tuple[KeyPath, Any]] = [((), tree)]
    while pending:
        path, value = pending.pop()
        yield path, value
        if isinstance(value, dict):
            children = [((*path, key), item) for key, item in value.items()]
        elif isinstance(value, list):
            children = [((*path, index), item) for index, item in enumerate(value)]
        else:
            continue
        pending.extend(reversed(children))


def lookup(tree: Any, path: KeyPath) -> Any:
    """The value at path, or None when any step is missing."""
    node = tree
    for key in path:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            return None
    return node
