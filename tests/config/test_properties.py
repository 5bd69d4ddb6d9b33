"""Whatever a file or --set holds, loading ends in a preset or a user error, nothing else."""

from __future__ import annotations

import copy
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuitrain.config.loader import load_preset, preset_to_yaml
from tuitrain.config.preset import Preset
from tuitrain.errors import UserError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID = Preset().model_dump(mode="json")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["sgd", "adam", "cnn", "batch", "auto", "val_loss", "yes", "1e-4", ".nan"]),
    st.text(max_size=12),
)
keys = st.one_of(
    st.sampled_from(["kind", "lr", "data", "optim", "extends", "widths", "betas", "root"]),
    st.text(min_size=1, max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
yaml_text = st.text(alphabet="{}[]:,-?&*!|>'\"%#\n \t ab01.e+~xy", max_size=120)
override_text = st.text(alphabet="abcdeilmnoprstwz._[]0123=-{}:, !*&'\"", max_size=30)

_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("random-presets")


def load_or_refuse(path: Path, overrides: list[str] | None = None) -> None:
    """Load path; a preset must also survive its trip through preset_to_yaml."""
    try:
        loaded = load_preset(str(path), overrides or [])
    except UserError as exc:
        assert str(exc)
        return
    again = path.with_name(f"again-{next(_names)}.yaml")
    again.write_text(preset_to_yaml(loaded.preset))
    assert load_preset(str(again)).preset == loaded.preset


def write(folder: Path, suffix: str, text: str) -> Path:
    path = folder / f"p{next(_names)}{suffix}"
    path.write_text(text)
    return path


@SETTINGS
@given(text=yaml_text, suffix=st.sampled_from([".yaml", ".json", ".toml"]))
def test_random_text(folder: Path, text: str, suffix: str) -> None:
    load_or_refuse(write(folder, suffix, text))


@SETTINGS
@given(document=values)
def test_random_documents_as_yaml_and_json(folder: Path, document: Any) -> None:
    load_or_refuse(write(folder, ".yaml", yaml.safe_dump(document)))
    load_or_refuse(write(folder, ".json", json.dumps(document)))


def _mutated(base: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    preset = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, 3))):
        node: Any = preset
        while isinstance(node, dict) and node and data.draw(st.booleans()):
            child = node[data.draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict):
                break
            node = child
        if not isinstance(node, dict):
            continue
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if action == "add" or not node:
            node[data.draw(keys)] = data.draw(values)
        elif action == "delete":
            del node[data.draw(st.sampled_from(sorted(node)))]
        else:
            node[data.draw(st.sampled_from(sorted(node)))] = data.draw(values)
    return preset


@SETTINGS
@given(data=st.data())
def test_mutations_of_a_valid_preset(folder: Path, data: st.DataObject) -> None:
    mutated = _mutated(VALID, data)
    load_or_refuse(write(folder, ".yaml", yaml.safe_dump(mutated)))
    if not any(isinstance(v, float) and not math.isfinite(v) for v in _leaves(mutated)):
        load_or_refuse(write(folder, ".json", json.dumps(mutated)))


def _leaves(tree: Any) -> list[Any]:
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _leaves(value)]
    if isinstance(tree, list):
        return [leaf for value in tree for leaf in _leaves(value)]
    return [tree]


@SETTINGS
@given(overrides=st.lists(override_text, max_size=3))
def test_random_set_options(folder: Path, overrides: list[str]) -> None:
    path = folder / "base.yaml"
    if not path.exists():
        path.write_text("extends: default\n")
    load_or_refuse(path, overrides)
