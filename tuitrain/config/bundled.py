"""The presets shipped with tuitrain: `tuitrain/presets/<name>.yaml`."""

from __future__ import annotations

import re
from pathlib import Path

from tuitrain.config.yaml12 import compose

PRESETS_DIR = Path(__file__).resolve().parent.parent / "presets"
"""A link to the repository's top-level presets/ folder; a real folder once installed."""

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def bundled_path(name: str) -> Path | None:
    """The file of the bundled preset called name, if there is one."""
    if not _NAME.match(name):
        return None
    path = PRESETS_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def bundled_names() -> list[str]:
    if not PRESETS_DIR.is_dir():
        return []
    return sorted(path.stem for path in PRESETS_DIR.glob("*.yaml") if _NAME.match(path.stem))


def bundled_presets() -> list[tuple[str, str]]:
    """(name, description) of every bundled preset, sorted by name."""
    listing: list[tuple[str, str]] = []
    for name in bundled_names():
        path = PRESETS_DIR / f"{name}.yaml"
        tree = compose(path.read_text(encoding="utf-8"), str(path)).tree
        description = tree.get("description") if isinstance(tree, dict) else None
        listing.append((name, description if isinstance(description, str) else ""))
    return listing
