"""What the preset models allow at each key path, read from their annotations.

Pydantic reports locations with the tags of the union members it tried, e.g.
`('data', 'cifar10', 'root')` or `('data', 'shapes', 'workers', 'constrained-int')`; here
such a location is walked through the model classes to find the key path the user wrote, the
allowed keys, the kinds, and the bounds of the field.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tuitrain.config.data import DataCommon
from tuitrain.config.document import Key, KeyPath
from tuitrain.config.preset import Preset


@dataclass(frozen=True)
class Slot:
    """What one key path holds: its annotation, constraints and documentation."""

    annotation: Any
    metadata: tuple[Any, ...] = ()
    description: str | None = None

    @classmethod
    def of(cls, info: FieldInfo) -> Slot:
        return cls(info.annotation, tuple(info.metadata), info.description)


@dataclass
class Walk:
    """A pydantic location read against the models."""

    path: KeyPath = ()
    """The key path as the user wrote it, without union tags."""
    slot: Slot | None = field(default_factory=lambda: Slot(Preset))
    """What the last key holds, or None when the location left the models."""
    union: Slot | None = None
    """The discriminated union the last tag chose from, if the location passed one."""
    tagged: bool = False
    """Whether the location ended in a union tag (one branch of several)."""


def _unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    metadata: list[Any] = []
    while get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        for item in extra:
            metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        annotation = base
    return annotation, tuple(metadata)


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _union_members(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if arg is not type(None)]
    return None


def kind_of(model: type[BaseModel]) -> str | None:
    info = model.model_fields.get("kind")
    return info.default if info is not None and isinstance(info.default, str) else None


def _branch_for_tag(members: list[Any], tag: str) -> Any | None:
    """The member of a union that pydantic names tag in a location, if tag is one."""
    for member in members:
        base, _ = _unwrap(member)
        if is_model(base) and kind_of(base) == tag:
            return member
        if get_origin(base) is Literal:
            if tag.startswith("literal["):
                return member
        elif isinstance(base, type) and not is_model(base) and tag.endswith(base.__name__):
            return member
    return None


def _step(slot: Slot, key: Key, walk: Walk) -> Slot | None:
    base, _ = _unwrap(slot.annotation)
    members = _union_members(base)
    if members is not None:
        branch = _branch_for_tag(members, key) if isinstance(key, str) else None
        if branch is not None:
            walk.tagged = True
            if is_model(branch):
                walk.union = slot
            return Slot(branch, slot.metadata, slot.description)
        models = [member for member in members if is_model(member)]
        if len(members) == 1:
            base = _unwrap(members[0])[0]
        elif len(models) == 1:
            base = models[0]
        else:
            base = None  # a rule's location names no member: the key is all there is
    walk.path += (key,)
    walk.tagged = False
    if is_model(base):
        info = base.model_fields.get(key) if isinstance(key, str) else None
        return Slot.of(info) if info is not None else None
    args = get_args(base)
    if isinstance(key, int) and get_origin(base) is list and args:
        return Slot(args[0])
    if isinstance(key, int) and get_origin(base) is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return Slot(args[0])
        return Slot(args[key]) if 0 <= key < len(args) else None
    return None


def read_location(loc: tuple[str | int, ...], root: type[BaseModel] = Preset) -> Walk:
    """Walk a pydantic error location through the models, from `root` (a preset, or another
    file read by the same loader, such as a study)."""
    walk = Walk(slot=Slot(root))
    for key in loc:
        if walk.slot is None:
            walk.path += (key,)
            continue
        walk.slot = _step(walk.slot, key, walk)
    return walk


def model_of(slot: Slot | None) -> type[BaseModel] | None:
    """The model a slot holds: itself, or the one model of an optional."""
    if slot is None:
        return None
    base, _ = _unwrap(slot.annotation)
    members = _union_members(base)
    if members is not None:
        models = [member for member in members if is_model(member)]
        base = models[0] if len(models) == 1 else None
    return base if is_model(base) else None


def kinds_of(slot: Slot | None) -> list[str]:
    """The kinds a discriminated union slot accepts, in declaration order."""
    if slot is None:
        return []
    members = _union_members(_unwrap(slot.annotation)[0]) or []
    return [kind for member in members if is_model(member) and (kind := kind_of(member))]


def members_with_key(slot: Slot | None, key: str) -> list[str]:
    """The kinds of a union slot whose settings include key."""
    members = _union_members(_unwrap(slot.annotation)[0]) if slot is not None else None
    return [
        kind_of(member) or member.__name__
        for member in members or []
        if is_model(member) and key in member.model_fields
    ]


def constraints(slot: Slot | None) -> tuple[Any, ...]:
    """Bounds and lengths of a slot, looking through Annotated and an optional's None."""
    if slot is None:
        return ()
    base, metadata = _unwrap(slot.annotation)
    members = _union_members(base)
    if members is not None and len(members) == 1:
        metadata += _unwrap(members[0])[1]
    return slot.metadata + metadata


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def bounds_text(slot: Slot | None, name: str) -> tuple[str, int]:
    """The range of a number, `0 < lr <= 100` or `size >= 1`, and how many bounds it has."""
    low = high = ""
    for item in constraints(slot):
        if isinstance(item, at.Gt):
            low = f"{_number(item.gt)} <"
        elif isinstance(item, at.Ge):
            low = f"{_number(item.ge)} <="
        elif isinstance(item, at.Lt):
            high = f"< {_number(item.lt)}"
        elif isinstance(item, at.Le):
            high = f"<= {_number(item.le)}"
    if low and high:
        return f"{low} {name} {high}", 2
    if low:
        number, sign = low.split(" ")
        return f"{name} {sign.replace('<', '>')} {number}", 1
    return (f"{name} {high}", 1) if high else ("", 0)


@cache
def default_kinds() -> dict[KeyPath, str]:
    """For each discriminated section, the kind it has when a preset leaves `kind` out."""
    found: dict[KeyPath, str] = {}
    pending: list[tuple[KeyPath, type[BaseModel]]] = [((), Preset)]
    while pending:
        path, model = pending.pop()
        for name, info in model.model_fields.items():
            default = info.default
            kind = getattr(default, "kind", None)
            if info.discriminator == "kind" and isinstance(kind, str):
                section: KeyPath = (*path, name)
                found[section] = kind
            members = _union_members(_unwrap(info.annotation)[0]) or [info.annotation]
            pending.extend(((*path, name), member) for member in members if is_model(member))
    return found


@cache
def carried_across_kinds() -> dict[KeyPath, frozenset[str]]:
    """For sections whose kinds share common settings, those settings: a child preset that
    names another data kind keeps its parent's batch size, loader and normalization."""
    return {("data",): frozenset(DataCommon.model_fields) - {"kind"}}


def literal_choices(slot: Slot | None) -> list[Any]:
    """The values a Literal slot (or an optional Literal) accepts."""
    if slot is None:
        return []
    base, _ = _unwrap(slot.annotation)
    members = _union_members(base) or [base]
    choices: list[Any] = []
    for member in members:
        member_base, _ = _unwrap(member)
        if get_origin(member_base) is Literal:
            choices.extend(get_args(member_base))
    return choices


def tuple_length(slot: Slot | None) -> int | None:
    """How many items a fixed-length tuple slot holds."""
    base = _unwrap(slot.annotation)[0] if slot is not None else None
    args = get_args(base)
    if get_origin(base) is tuple and args and args[-1] is not Ellipsis:
        return len(args)
    return None
