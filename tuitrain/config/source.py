"""Finding a preset file from what a user typed, and reading it only if it is a sane text file."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tuitrain.config import bundled
from tuitrain.config.problems import did_you_mean

MAX_BYTES = 1 << 20
"""Presets are a few hundred bytes; anything over a mebibyte is not one."""
SUFFIXES = (".yaml", ".yml", ".json", ".toml")


class SourceError(Exception):
    """A preset that cannot be found or read; the caller knows where it was asked for."""


@dataclass(frozen=True)
class PresetFile:
    path: Path
    """Absolute, links resolved: tells two spellings of one file apart in an extends chain."""
    shown: str
    """The path as shown to users."""
    name: str
    """The bundled name, or the file's stem."""


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a link loop: reading it will say so
        return path.absolute()


def shown_path(path: Path) -> str:
    """Relative to the working directory when inside it, else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _looks_like_path(ref: str) -> bool:
    return (
        "/" in ref
        or os.sep in ref
        or ref.startswith(("~", "."))
        or Path(ref).suffix.lower() in SUFFIXES
    )


def locate(ref: str, relative_to: Path | None = None) -> PresetFile:
    """The file a reference names: a bundled preset's name, or a path.

    relative_to is the folder of the file whose `extends` says ref; None for the command line,
    where a path is relative to the working directory and shown as typed.
    """
    if not ref.strip():
        raise SourceError("an empty name; give a bundled preset's name or a file path")
    if not _looks_like_path(ref):
        found = bundled.bundled_path(ref)
        if found is not None:
            real = _real(found)
            return PresetFile(real, shown_path(real), ref)
        if relative_to is not None or not Path(ref).exists():
            names = bundled.bundled_names()
            raise SourceError(
                f"no bundled preset named {ref!r}{did_you_mean(ref, names)} "
                "(`tuitrain presets` lists them; a file path needs a suffix such as .yaml)"
            )
    path = Path(ref).expanduser()
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    shown = ref if relative_to is None else shown_path(path)
    return PresetFile(_real(path), shown, path.stem)


def _missing(path: Path) -> str:
    folder = path.parent
    if not folder.is_dir():
        return f"no such file (there is no folder {shown_path(folder)})"
    try:
        siblings = [entry.name for entry in folder.iterdir() if entry.suffix.lower() in SUFFIXES]
    except OSError:
        siblings = []
    return "no such file" + did_you_mean(path.name, siblings)


def read_text(file: PresetFile) -> str:
    """The text of a preset file, refused before parsing when it cannot be one.

    The messages do not name the file: the caller places them at it, or at the `extends`
    that asked for it.
    """
    path = file.path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceError(_missing(path)) from None
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceError("is a folder; give a preset file (.yaml, .json or .toml)")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError("is not a regular file")
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SourceError("is larger than 1 MiB; a preset is a small text file")
    if b"\0" in data:
        raise SourceError("is a binary file, not a preset")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"is not UTF-8 text (byte {exc.start}); is it a binary file?") from None
