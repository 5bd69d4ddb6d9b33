"""Shared fixtures: tiny presets that train in a fraction of a second on a CPU."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tuitrain.config.preset import Preset

TINY: dict[str, Any] = {
    "data": {"kind": "shapes", "size": 160, "image_size": 16, "val_split": 0.25, "batch_size": 16},
    "model": {"kind": "cnn", "widths": [8, 16], "blocks": 1},
    "optim": {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
    "schedule": {"kind": "constant"},
    "train": {"epochs": 2, "device": "cpu", "report": {"seconds": 0.01}},
}


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "kind" not in value:
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def tiny(**sections: Any) -> Preset:
    """The tiny preset with some sections changed (a section naming a kind replaces it)."""
    return Preset.model_validate(merge(TINY, sections))


@pytest.fixture
def tiny_preset() -> Preset:
    return tiny()
