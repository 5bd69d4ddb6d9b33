"""The studies shipped with tuitrain: `tuitrain/study/bundled/<name>.yaml`."""

from __future__ import annotations

import re
from pathlib import Path

from tuitrain.config.yaml12 import compose

STUDIES_DIR = Path(__file__).resolve().parent / "bundled"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def bundled_study_path(name: str) -> Path | None:
    if not _NAME.match(name):
        return None
    path = STUDIES_DIR / f"{name}.yaml"
    return path if path.is_file() else None


def bundled_study_names() -> list[str]:
    return sorted(path.stem for path in STUDIES_DIR.glob("*.yaml") if _NAME.match(path.stem))


def bundled_studies() -> list[tuple[str, str]]:
    """(name, description) of every bundled study, sorted by name."""
    listing = []
    for name in bundled_study_names():
        path = STUDIES_DIR / f"{name}.yaml"
        tree = compose(path.read_text(encoding="utf-8"), str(path)).tree
        description = tree.get("description") if isinstance(tree, dict) else None
        listing.append((name, description if isinstance(description, str) else ""))
    return listing
