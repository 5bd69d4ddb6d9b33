"""The JSON Schema of preset files, for editors that complete and check YAML, JSON and TOML."""

from __future__ import annotations

import json
from typing import Any

from tuitrain.config.preset import Preset

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

EXTENDS = (
    "A bundled preset's name (see `tuitrain presets`) or a path to a preset file, relative to "
    "this file. This file then holds only what differs: mappings merge key by key, values and "
    "lists replace the parent's, and a section naming another kind replaces the parent's "
    "section whole."
)


def preset_schema() -> dict[str, Any]:
    schema = Preset.model_json_schema()
    schema["properties"]["extends"]["description"] = EXTENDS
    schema.pop("title", None)
    return {"$schema": SCHEMA_DIALECT, "title": "tuitrain preset", **schema}


def schema_text() -> str:
    """The schema as `tuitrain schema` prints it and docs/preset.schema.json holds it."""
    return json.dumps(preset_schema(), indent=2, ensure_ascii=False) + "\n"
