"""Loading a preset: find it, read it and its parents, apply --set, validate, explain."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tuitrain.config.bundled import bundled_presets
from tuitrain.config.document import Document, KeyPath, Location, dotted
from tuitrain.config.explain import explain
from tuitrain.config.extends import resolve
from tuitrain.config.merge import merge, with_default_kinds
from tuitrain.config.overrides import Override, apply_override, parse_overrides
from tuitrain.config.preset import Preset
from tuitrain.config.problems import PresetError
from tuitrain.config.source import PresetFile, SourceError, locate
from tuitrain.config.targets import anchor_targets
from tuitrain.config.yaml12 import ScalarError, resolve_plain

__all__ = ["LoadedPreset", "PresetError", "bundled_presets", "load_preset", "preset_to_yaml"]


@dataclass(frozen=True)
class LoadedPreset:
    preset: Preset
    """Validated, with extends resolved (preset.extends is None)."""
    name: str
    """The bundled name, or the file's stem."""
    source: str
    """The path as shown to users."""
    resolved: dict[str, Any]
    """The merged mapping that validated (JSON-able)."""
    advice: list[str]
    """Non-fatal remarks, each with its location."""


def load_preset(
    ref: str | dict[str, Any],
    overrides: Sequence[str] = (),
    *,
    world_size: int | None = None,
    settings: Sequence[Override] = (),
    asked_at: Location | None = None,
    relative_to: Path | None = None,
    adjust: Callable[[dict[str, Any]], None] | None = None,
) -> LoadedPreset:
    """The preset that ref names (a path, a bundled name, or the settings themselves as a
    dict), with each `--set` override applied. Raises PresetError listing every problem found.
    `world_size`: the ranks torchrun started, when there are any (the global batch must divide
    among them).

    A file that names presets (a study) passes its settings already read, the place it named
    ref at, and its own folder, against which a relative path is found. `adjust` changes the
    merged settings before the overrides (tuitrain.fit puts its own model and data kinds there).
    """
    parsed = [*settings, *parse_overrides(overrides)]
    if isinstance(ref, dict):
        document, name, shown = _from_dict(ref), "python", "<dict>"
    else:
        file = _locate(ref, asked_at, relative_to)
        document, name, shown = resolve(file), file.name, file.shown
    if adjust is not None:
        adjust(document.tree)
    for override in parsed:
        document = apply_override(document, override)
    document = Document(
        with_default_kinds(document.tree), document.source, document.origins, document.remarks
    )
    anchor_targets(document)
    try:
        context: dict[str, Any] = {"written": _written(document, file.shown)}
        if world_size is not None:
            context["world_size"] = world_size
        preset = Preset.model_validate(document.tree, context=context)
    except ValidationError as exc:
        raise PresetError(explain(exc, document)) from None
    return LoadedPreset(preset, name, shown, document.tree, _advice(preset, document))


def _locate(
    ref: str, asked_at: Location | None = None, relative_to: Path | None = None
) -> PresetFile:
    try:
        return locate(ref, relative_to=relative_to)
    except SourceError as exc:
        raise PresetError.at(asked_at or Location(ref), str(exc)) from None


def _from_dict(settings: dict[str, Any]) -> Document:
    """Settings given as a dict; its `extends` (a bundled name or a path) is laid under it."""
    own = Document(copy.deepcopy(settings), "<dict>")
    parent = own.tree.pop("extends", None)
    if parent is None:
        return own
    if not isinstance(parent, str):
        raise PresetError.at(Location("<dict>"), "extends must be a preset's name or path")
    return merge(resolve(_locate(parent)), own)


def _written(document: Document, shown: str) -> frozenset[KeyPath]:
    """The key paths set in the file itself or with --set, not inherited through extends."""
    return frozenset(
        path
        for path, origin in document.origins.items()
        if origin.value.source == shown or origin.value.source.startswith("--set ")
    )


def _advice(preset: Preset, document: Document) -> list[str]:
    return document.remarks + [
        f"{document.origin(note.loc).value}: warning: {dotted(note.loc)}: {note.message}"
        for note in preset.advice()
    ]


class _PresetDumper(yaml.SafeDumper):
    """Quotes every string that a YAML 1.2 reader would take for something else."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    try:
        reads_back = isinstance(resolve_plain(text), str)
    except ScalarError:
        reads_back = False
    style = None if reads_back else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_PresetDumper.add_representer(str, _represent_text)

_HEADER = "# The resolved preset: every setting, after extends and --set.\n"


def preset_to_yaml(preset: Preset) -> str:
    """YAML that loads back to an equal Preset (for `runs/<id>/preset.yaml`)."""
    settings = preset.model_dump(mode="json", exclude={"extends"})
    body = yaml.dump(
        settings,
        Dumper=_PresetDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=None,
        width=100,
    )
    return _HEADER + body
