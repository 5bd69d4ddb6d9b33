"""The study file's models: what a study may say, validated like a preset (no torch here)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from tuitrain.config.base import Section

VariantName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][\w.=-]*$")]
Settings = dict[str, Any]
Grid = dict[str, Annotated[list[Any], Field(min_length=1, max_length=20)]]


class VariantSpec(Section):
    """One line of the comparison: a preset, with settings laid over it."""

    preset: str = "default"
    """A bundled preset's name, or a path relative to the study file."""
    name: VariantName | None = None
    """How tables and claims call it (default: the preset's name)."""
    set: Settings = Field(default_factory=dict)
    """Settings laid over the preset, as `--set` would: `optim.lr: 0.01`."""
    grid: Grid = Field(default_factory=dict)
    """Every combination of these values becomes a variant of its own."""


class StudySpec(Section):
    """A study: variants trained over seeds, compared in one table, with claims to check."""

    description: Annotated[str, Field(max_length=300, pattern=r"^[^\n]*$")] = ""
    """One line shown by `tuitrain study --list`."""
    variants: Annotated[list[VariantSpec], Field(min_length=1, max_length=100)]
    """The presets compared, each with its own settings."""
    set: Settings = Field(default_factory=dict)
    """Settings laid over every variant (the study's budget: epochs, data size)."""
    grid: Grid = Field(default_factory=dict)
    """Values crossed with every variant."""
    seeds: Annotated[int, Field(ge=1, le=100)] = 3
    """How many times each variant runs, with train.seed 0, 1, ..."""
    target_acc: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    """Validation accuracy (0..1) whose epochs and seconds to reach are reported."""
    claims: Annotated[list[str], Field(max_length=50)] = Field(default_factory=list)
    """`A beats B on best val_acc`: checked against the results, over seeds."""

    def seed_list(self) -> list[int]:
        return list(range(self.seeds))
