"""Laying one preset over another: deep for mappings, wholesale for values, lists and new kinds."""

from __future__ import annotations

import copy
from typing import Any

from tuitrain.config.document import Document, KeyPath, Origin, walk
from tuitrain.config.structure import carried_across_kinds, default_kinds


def _kind(mapping: dict[str, Any], path: KeyPath) -> Any:
    return mapping.get("kind", default_kinds().get(path))


def _merged(base: Any, over: Any, path: KeyPath) -> Any:
    """over laid on base. A section naming another kind replaces its parent's section, since
    the parent's settings (say sgd's momentum) would be unknown keys for the new kind; only
    the settings every kind of it has (data's batch_size, workers, ...) carry over."""
    if not isinstance(base, dict) or not isinstance(over, dict):
        return over
    if "kind" in over and over["kind"] != _kind(base, path):
        common = carried_across_kinds().get(path, frozenset())
        return {**{key: value for key, value in base.items() if key in common}, **over}
    result = dict(base)
    for key, value in over.items():
        result[key] = _merged(base[key], value, (*path, key)) if key in base else value
    return result


def merge(base: Document, over: Document) -> Document:
    """over laid on base; each key path keeps the origin of the document that supplied it.

    The result may share values with base and over; neither is changed.
    """
    tree = _merged(base.tree, over.tree, ())
    supplied = {path for path, _ in walk(over.tree)}
    origins: dict[KeyPath, Origin] = {}
    for path, _ in walk(tree):
        origin = (over if path in supplied else base).origins.get(path)
        if origin is not None:
            origins[path] = origin
    return Document(tree, over.source, origins, [*base.remarks, *over.remarks])


def with_default_kinds(tree: dict[str, Any]) -> dict[str, Any]:
    """A copy of tree where each section that names no kind names its default kind.

    Leaving `kind` out means the default kind, as leaving the whole section out does;
    pydantic's discriminated unions would otherwise refuse the section.
    """
    result = copy.deepcopy(tree)
    for path, kind in sorted(default_kinds().items(), key=lambda item: len(item[0])):
        holder: Any = result
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        section = holder.get(path[-1]) if isinstance(holder, dict) else None
        if isinstance(section, dict) and "kind" not in section:
            holder[path[-1]] = {"kind": kind, **section}
    return result
