"""Building blocks of the preset models: strictness, and cross-field errors with a location."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError


class Section(BaseModel):
    """Every preset section: unknown keys and NaN/inf are refused, instances are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        frozen=True,
        validate_default=True,
        use_attribute_docstrings=True,
    )


def rule_error(loc: tuple[str | int, ...], value: Any, message: str, kind: str) -> ValidationError:
    """A validation error for a rule that spans fields, placed at the key the user should change."""
    detail = InitErrorDetails(
        type=PydanticCustomError(kind, message),
        loc=loc,
        input=value,
    )
    return ValidationError.from_exception_data("Preset", [detail])
