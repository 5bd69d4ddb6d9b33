"""What is wrong with a preset, said so that a person can find the place and fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tuitrain.config.document import Location
from tuitrain.errors import UserError


@dataclass(frozen=True)
class Problem:
    """One thing to fix: `location: subject: message`, e.g. `a.yaml:7:9: optim.lr = -0.1: ...`."""

    location: Location
    subject: str
    message: str

    def __str__(self) -> str:
        if self.subject:
            return f"{self.location}: {self.subject}: {self.message}"
        return f"{self.location}: {self.message}"


def _reading_order(problem: Problem) -> tuple[bool, str, int, int]:
    where = problem.location
    return (where.line <= 0, where.source, where.line, where.column)


class PresetError(UserError):
    """A preset that cannot be used. str() is the whole report, one problem per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems, key=_reading_order)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def at(cls, location: Location, message: str, subject: str = "") -> PresetError:
        return cls([Problem(location, subject, message)])


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'norm'?` for a near miss among choices, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
