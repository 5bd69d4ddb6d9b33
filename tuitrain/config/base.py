"""Building blocks of the preset models: strictness, and cross-field errors with a location."""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError


class Section(BaseModel):
    """Every preset section: unknown keys, NaN/inf and booleans where numbers belong are
    refused; instances are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _numbers_are_not_booleans(cls, data: Any) -> Any:
        """`lr: true` is refused, not read as 1.0 (pydantic's lax numbers take booleans): a
        boolean where only numbers belong becomes a WrittenBool, which no number accepts, so
        the error is pydantic's own, placed at the value (a list's item included)."""
        if not isinstance(data, dict) or not any(_has_bool(value) for value in data.values()):
            return data
        return {
            key: _written(value) if _takes_numbers_only(cls, key) else value
            for key, value in data.items()
        }


def _has_bool(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(isinstance(item, bool) for item in value)
    return isinstance(value, bool)


def _written(value: Any) -> Any:
    if isinstance(value, bool):
        return WrittenBool(value)
    if isinstance(value, (list, tuple)):
        return [WrittenBool(item) if isinstance(item, bool) else item for item in value]
    return value


class WrittenBool:
    """A true or false that a preset wrote where a number belongs; errors show it as written."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __str__(self) -> str:
        return "true" if self.value else "false"

    __repr__ = __str__


_NUMBERS_ONLY: dict[tuple[type[BaseModel], str], bool] = {}


def _takes_numbers_only(model: type[BaseModel], name: str) -> bool:
    """Whether a field holds numbers (or lists of them) and never a boolean."""
    key = (model, name)
    if name not in model.model_fields:
        return False  # an unknown key: refused as one
    if key not in _NUMBERS_ONLY:
        kinds = _kinds(model.model_fields[name].annotation)
        _NUMBERS_ONLY[key] = bool(kinds & {int, float}) and not kinds & {bool, Any}
    return _NUMBERS_ONLY[key]


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation is made of, through Annotated, unions, lists and tuples;
    a model counts as itself (it checks its own fields), a Literal as its values' types."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin is Literal:
        return {type(arg) for arg in get_args(annotation)}
    if origin in (Union, types.UnionType, list, tuple):
        found: set[Any] = set()
        for arg in get_args(annotation):
            if arg is not Ellipsis:
                found |= _kinds(arg)
        return found
    return {origin or annotation}


def rule_error(loc: tuple[str | int, ...], value: Any, message: str, kind: str) -> ValidationError:
    """A validation error for a rule that spans fields, placed at the key the user should change."""
    detail = InitErrorDetails(
        type=PydanticCustomError(kind, message),
        loc=loc,
        input=value,
    )
    return ValidationError.from_exception_data("Preset", [detail])
