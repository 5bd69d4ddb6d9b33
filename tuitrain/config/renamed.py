"""Sections that changed their name: the old name still reads, with a warning at the place it
was written that names the new one."""

from __future__ import annotations

from tuitrain.config.document import Document, KeyPath, Location, Origin
from tuitrain.config.problems import PresetError

RENAMED: dict[str, str] = {"control": "monitor"}
"""Old top-level key -> its new name. `control:` held the monitor's settings, and read as if it
were about the control channel (`tuitrain ctl`)."""


def _moved(path: KeyPath, old: str, new: str) -> KeyPath:
    return (new, *path[1:]) if path[:1] == (old,) else path


def renamed_in(document: Document) -> Document:
    """document with each old section name replaced by its new one, and a warning placed at the
    old key. Both names in one file is a problem: which one is meant cannot be told."""
    for old, new in RENAMED.items():
        if not isinstance(document.tree, dict) or old not in document.tree:
            continue
        where = document.origin((old,)).key
        if new in document.tree:
            raise PresetError.at(where, f"is the old name of `{new}`, which is set too", old)
        tree = {(new if key == old else key): value for key, value in document.tree.items()}
        origins = {_moved(path, old, new): origin for path, origin in document.origins.items()}
        remark = renamed_remark(where, old, new)
        document = Document(tree, document.source, origins, [*document.remarks, remark])
    return document


def renamed_remark(where: Location, old: str, new: str) -> str:
    return f"{where}: warning: {old}: renamed to `{new}`; write `{new}:` (`{old}:` still reads)"


def renamed_key(keys: tuple[str, ...], where: Origin) -> tuple[tuple[str, ...], str | None]:
    """A --set key path with an old section name replaced, and the warning to give for it."""
    new = RENAMED.get(keys[0]) if keys else None
    if new is None:
        return keys, None
    return (new, *keys[1:]), renamed_remark(where.key, keys[0], new)
