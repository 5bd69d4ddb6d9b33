"""Errors that are the user's to fix. The command line prints them without a traceback."""

from __future__ import annotations

from tuitrain.exitcodes import BAD_INPUT


class UserError(Exception):
    """Bad input: a preset, a path, a dataset, an argument. Exit code 2."""

    exit_code = BAD_INPUT

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message
