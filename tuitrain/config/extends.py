"""`extends:`: a preset read together with the chain of presets it builds on."""

from __future__ import annotations

import os

from tuitrain.config import formats
from tuitrain.config.bundled import PRESETS_DIR
from tuitrain.config.document import Document, Location
from tuitrain.config.merge import merge
from tuitrain.config.problems import PresetError
from tuitrain.config.renamed import renamed_in
from tuitrain.config.source import PresetFile, SourceError, locate, read_text

MAX_CHAIN = 16
"""Presets one chain may hold; real chains hold two or three."""


DATA_PATHS = ("root", "val_root")
"""The data section's folders: relative ones are taken from the folder of the file that says
them, as `extends` is (a bundled preset's `data` means the working directory's)."""


def read_file(file: PresetFile) -> Document:
    """One file's document, its own `extends` still in it. Unreadable files are placed at the
    file itself; the caller re-places them at an `extends` when one asked for the file."""
    try:
        text = read_text(file)
    except SourceError as exc:
        raise PresetError.at(Location(file.shown), str(exc)) from None
    return anchor_paths(renamed_in(formats.parse(text, file.shown, file.path.suffix)), file)


def anchor_paths(document: Document, file: PresetFile) -> Document:
    """document with its relative data folders made absolute against file's folder."""
    data = document.tree.get("data")
    if not isinstance(data, dict) or file.path.parent == PRESETS_DIR.resolve():
        return document
    for key in DATA_PATHS:
        value = data.get(key)
        if isinstance(value, str) and value and not value.startswith("~"):
            data[key] = os.path.normpath(file.path.parent / value)
    return document


def _chain_text(chain: list[PresetFile], last: str) -> str:
    return " -> ".join([*(file.shown for file in chain), last])


def _parent(document: Document, file: PresetFile, chain: list[PresetFile]) -> PresetFile | None:
    """The file named by document's `extends`, checked for cycles; None when it has none."""
    if "extends" not in document.tree:
        return None
    ref = document.tree["extends"]
    where = document.origin(("extends",)).value
    if not isinstance(ref, str):
        raise PresetError.at(
            where, "must be a bundled preset's name or a path to a preset file", "extends"
        )
    try:
        parent = locate(ref, relative_to=file.path.parent)
    except SourceError as exc:
        raise PresetError.at(where, str(exc), f"extends = {ref!r}") from None
    chain_paths = [link.path for link in chain]
    if parent.path in chain_paths:
        cycle = _chain_text(chain[chain_paths.index(parent.path) :], parent.shown)
        raise PresetError.at(where, f"forms a cycle: {cycle}", "extends")
    if len(chain) >= MAX_CHAIN:
        raise PresetError.at(where, f"the extends chain holds over {MAX_CHAIN} presets", "extends")
    return parent


def _read_parent(parent: PresetFile, asked_at: Location, chain: list[PresetFile]) -> Document:
    try:
        text = read_text(parent)
    except SourceError as exc:
        via = f" (extends chain: {_chain_text(chain[:-1], parent.shown)})" if len(chain) > 2 else ""
        raise PresetError.at(asked_at, f"{parent.shown}: {exc}{via}", "extends") from None
    return anchor_paths(renamed_in(formats.parse(text, parent.shown, parent.path.suffix)), parent)


def resolve(file: PresetFile) -> Document:
    """file's settings laid over those of every preset it extends, `extends` itself removed."""
    chain = [file]
    documents = [read_file(file)]
    while (parent := _parent(documents[-1], chain[-1], chain)) is not None:
        asked_at = documents[-1].origin(("extends",)).value
        chain.append(parent)
        documents.append(_read_parent(parent, asked_at, chain))
    merged = documents.pop()
    merged.tree.pop("extends", None)
    while documents:
        child = documents.pop()
        child.tree.pop("extends", None)
        merged = merge(merged, child)
    return merged
