"""The YAML 1.2 reader: scalar types, tags, anchors, and where every key was written."""

from __future__ import annotations

import math

import pytest

from tuitrain.config.document import Location, Origin
from tuitrain.config.problems import PresetError
from tuitrain.config.yaml12 import compose


def value(text: str) -> object:
    return compose(f"x: {text}\n", "t.yaml").tree["x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("1e-4", 1e-4),
        (".5", 0.5),
        ("-2.5E3", -2500.0),
        ("10", 10),
        ("+7", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", "1_000"),
        ("012", 12),
        ("~", None),
        ("null", None),
        ("", None),
        ("'true'", "true"),
        ('"1e-4"', "1e-4"),
        ("!!str 12", "12"),
        ("!!int '12'", 12),
        ("!!float 3", 3.0),
        ("! 5", "5"),
        ("2001-12-14", "2001-12-14"),
        ("|\n  text", "text\n"),
    ],
)
def test_scalars_follow_the_yaml_12_core_schema(text: str, expected: object) -> None:
    got = value(text)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(("text", "sign"), [(".inf", 1), ("-.Inf", -1), ("+.INF", 1)])
def test_infinities_are_floats(text: str, sign: int) -> None:
    got = value(text)
    assert isinstance(got, float) and math.isinf(got) and math.copysign(1, got) == sign


def test_nan_is_a_float() -> None:
    assert math.isnan(value(".NaN"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("!!int abc", "'abc' is not a valid !!int"),
        ("!!python/object:os.system x", "the tag !!python/object:os.system is not allowed"),
        ("!!binary aGk=", "the tag !!binary is not allowed"),
        ("!custom 1", "the tag !custom is not allowed"),
        ("!!set {a, b}", "the tag !!set is not allowed"),
        ("9" * 5000, "has too many digits"),
    ],
)
def test_refused_scalars_are_clean_errors(text: str, says: str) -> None:
    with pytest.raises(PresetError) as caught:
        value(text)
    assert str(caught.value).startswith("t.yaml:1:4: ")
    assert says in str(caught.value)


def test_every_key_path_has_the_place_of_its_key_and_value() -> None:
    document = compose("optim:\n  lr:   0.1\nmodel:\n  widths: [16,\n    32]\n", "p.yaml")
    at = document.origins
    assert at[("optim",)] == Origin(Location("p.yaml", 1, 1), Location("p.yaml", 2, 3))
    assert at[("optim", "lr")] == Origin(Location("p.yaml", 2, 3), Location("p.yaml", 2, 9))
    assert at[("model", "widths", 1)].value == Location("p.yaml", 5, 5)
    assert str(document.origin(("optim", "lr", "deeper")).value) == "p.yaml:2:9"


def test_aliases_copy_their_anchor_and_its_places() -> None:
    text = "base: &b {lr: 0.1, momentum: 0.9}\noptim: *b\n"
    document = compose(text, "a.yaml")
    assert document.tree["optim"] == {"lr": 0.1, "momentum": 0.9}
    assert document.tree["optim"] is not document.tree["base"]
    assert document.origins[("optim", "lr")].value == Location("a.yaml", 1, 15)
    assert document.origins[("optim",)].value == Location("a.yaml", 2, 8)


def test_an_anchor_used_deep_counts_its_own_depth() -> None:
    nested = "[" * 20 + "]" * 20
    with pytest.raises(PresetError, match="nested more than 32 levels deep"):
        compose(f"a: &a {nested}\nb: [[[[[[[[[[[[[*a]]]]]]]]]]]]]\n", "d.yaml")


def test_one_document_only() -> None:
    with pytest.raises(PresetError, match=r"d\.yaml:2:1: holds more than one YAML document"):
        compose("a: 1\n---\nb: 2\n", "d.yaml")


def test_keys_are_names_as_written() -> None:
    assert compose("yes: 1\n1: 2\nnull: 3\n", "k.yaml").tree == {"yes": 1, "1": 2, "null": 3}


@pytest.mark.parametrize("text", ["[a]: 1\n", "? {a: 1}\n: 2\n", "a: &x 1\n*x : 2\n"])
def test_keys_cannot_be_collections_or_aliases(text: str) -> None:
    with pytest.raises(PresetError, match="a key must be a plain name"):
        compose(text, "k.yaml")
