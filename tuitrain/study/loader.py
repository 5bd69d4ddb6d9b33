"""Loading a study file: the same reader, validation and file:line:col reports as a preset's,
then every variant expanded (grids crossed) and loaded as a preset, and every claim read."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tuitrain.config import formats
from tuitrain.config.document import Document, KeyPath, Location
from tuitrain.config.explain import explain, show
from tuitrain.config.loader import LoadedPreset, load_preset
from tuitrain.config.overrides import Override, parse_overrides, setting
from tuitrain.config.problems import PresetError, Problem, did_you_mean
from tuitrain.config.source import PresetFile, SourceError, read_text, shown_path
from tuitrain.study.bundled import bundled_study_names, bundled_study_path
from tuitrain.study.claims import Claim, ClaimError, parse_claim
from tuitrain.study.spec import StudySpec, VariantSpec


@dataclass(frozen=True)
class Variant:
    name: str
    loaded: LoadedPreset


@dataclass(frozen=True)
class LoadedStudy:
    spec: StudySpec
    name: str
    source: str
    text: str
    """The study file as written (kept in the study directory)."""
    variants: list[Variant]
    claims: list[Claim]

    @property
    def seeds(self) -> list[int]:
        return self.spec.seed_list()


def locate_study(ref: str) -> PresetFile:
    """A bundled study's name, or a path to a study file."""
    found = bundled_study_path(ref)
    if found is not None:
        return PresetFile(found, shown_path(found), ref)
    path = Path(ref).expanduser()
    if path.suffix == "" and not path.exists():
        names = bundled_study_names()
        raise PresetError.at(
            Location(ref),
            f"no bundled study named {ref!r}{did_you_mean(ref, names)} "
            f"(bundled: {', '.join(names)}; a file path needs a suffix such as .yaml)",
        )
    return PresetFile(path.absolute(), ref, path.stem)


def load_study(ref: str, overrides: Sequence[str] = ()) -> LoadedStudy:
    """The study ref names, validated, with every variant loaded and `--set` overrides laid
    over each. Raises PresetError listing every problem found, each at its place in the study
    file (or in a preset it names)."""
    extra = parse_overrides(overrides)
    file = locate_study(ref)
    try:
        text = read_text(file)
    except SourceError as exc:
        raise PresetError.at(Location(file.shown), str(exc)) from None
    document = formats.parse(text, file.shown, file.path.suffix)
    try:
        spec = StudySpec.model_validate(document.tree)
    except ValidationError as exc:
        raise PresetError(explain(exc, document, root=StudySpec)) from None
    variants = _variants(spec, document, file, extra)
    names = [variant.name for variant in variants]
    problems = []
    claims = []
    for index, text_claim in enumerate(spec.claims):
        try:
            claims.append(parse_claim(text_claim, names))
        except ClaimError as exc:
            where = document.origin(("claims", index)).value
            problems.append(Problem(where, f"claims[{index}] = {show(text_claim)}", str(exc)))
    if problems:
        raise PresetError(problems)
    return LoadedStudy(spec, file.name, file.shown, text, variants, claims)


def _settings(values: dict[str, Any], at: KeyPath, document: Document) -> list[Override]:
    return [setting(key, value, document.origin((*at, key)).value) for key, value in values.items()]


def _shown_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if isinstance(value, (str, int)) else show(value).replace(" ", "")


def _grid_points(
    grid: dict[str, tuple[KeyPath, list[Any]]], document: Document
) -> list[tuple[str, list[Override]]]:
    """Every combination of the grid's values: a name suffix and its settings."""
    if not grid:
        return [("", [])]
    keys = list(grid)
    points = []
    for combination in itertools.product(*(range(len(grid[key][1])) for key in keys)):
        suffix, settings = "", []
        for key, position in zip(keys, combination, strict=True):
            at, values = grid[key]
            value = values[position]
            suffix += f"-{key.split('.')[-1]}={_shown_value(value)}"
            settings.append(setting(key, value, document.origin((*at, key, position)).value))
        points.append((suffix, settings))
    return points


def _variants(
    spec: StudySpec, document: Document, file: PresetFile, extra: list[Override]
) -> list[Variant]:
    variants: list[Variant] = []
    problems: list[Problem] = []
    seen: dict[str, Location] = {}
    common = _settings(spec.set, ("set",), document)
    for index, entry in enumerate(spec.variants):
        at: KeyPath = ("variants", index)
        grid: dict[str, tuple[KeyPath, list[Any]]] = {
            key: (("grid",), values) for key, values in spec.grid.items()
        }
        grid.update({key: ((*at, "grid"), values) for key, values in entry.grid.items()})
        for suffix, point in _grid_points(grid, document):
            name = _base_name(entry) + suffix
            where = document.origin(at).key
            if name in seen:
                problems.append(Problem(where, f"variants[{index}]", _duplicate(name, seen[name])))
                continue
            seen[name] = where
            try:
                loaded = load_preset(
                    entry.preset,
                    settings=[
                        *common,
                        *_settings(entry.set, (*at, "set"), document),
                        *point,
                        *extra,
                    ],
                    asked_at=document.origin((*at, "preset")).value,
                    relative_to=file.path.parent,
                )
            except PresetError as exc:
                problems.extend(_in_variant(exc.problems, name, file.shown))
                continue
            variants.append(Variant(name, loaded))
    if problems:
        raise PresetError(_unique(problems))
    return variants


def _base_name(entry: VariantSpec) -> str:
    return entry.name or Path(entry.preset).stem


def _duplicate(name: str, first: Location) -> str:
    return (
        f"a second variant named {name!r} (the first is at {first}); give one of them its own name:"
    )


def _in_variant(problems: list[Problem], name: str, study: str) -> list[Problem]:
    """A preset's problems; those placed in another file say which variant met them."""
    return [
        p
        if p.location.source == study
        else Problem(p.location, p.subject, f"{p.message} (variant {name})")
        for p in problems
    ]


def _unique(problems: list[Problem]) -> list[Problem]:
    """A mistake in a setting every variant shares is reported once, not once per variant."""
    seen: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        key = (str(problem.location), problem.subject)
        if key not in seen:
            seen[key] = problem
    return list(seen.values())
