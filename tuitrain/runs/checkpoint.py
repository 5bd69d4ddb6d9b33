"""Checkpoint files: written atomically, read only as plain tensors and containers.

`torch.load(weights_only=True)` refuses anything that would need to run code to unpickle, and
there is deliberately no fallback to unsafe loading: a checkpoint that needs it is refused.
"""

from __future__ import annotations

import errno
import pickle
import warnings
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import torch

from tuitrain.engine.state import FORMAT, Progress
from tuitrain.errors import UserError
from tuitrain.runs.atomic import atomic_write
from tuitrain.runs.files import BEST, LAST, PREVIOUS


class CheckpointError(UserError):
    """A checkpoint that cannot be used: corrupt, truncated, foreign or unsafe."""


class CheckpointWriteError(OSError):
    """A checkpoint that could not be written (a full disk, a file size limit, an I/O error).
    The file it was to replace, and the generation before it, are left as they were."""

    def __init__(self, path: Path, reason: str, code: int | None = None) -> None:
        super().__init__(code if code is not None else errno.EIO, reason, str(path))
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write {self.path}: {self.reason}"


def save_checkpoint(
    state: dict[str, Any], path: Path, *, keep_previous: Path | None = None
) -> None:
    """Write `state` to `path` atomically. A failed write raises CheckpointWriteError (an
    OSError) naming the path and the reason; the temporary file is removed and whatever was at
    `path` (and `keep_previous`) stays untouched."""

    def write(handle: BinaryIO) -> None:
        watched = _WatchedWrites(handle)
        try:
            torch.save(state, cast(IO[bytes], watched))  # torch uses write and flush only
        except RuntimeError as exc:
            # torch's zip writer reports a failed or short write as a RuntimeError ("unexpected
            # pos ..."); the OSError that caused it, if any, was swallowed on the way.
            cause = watched.error
            if cause is not None:
                raise CheckpointWriteError(path, _reason(cause), cause.errno) from exc
            raise CheckpointWriteError(path, f"the write failed ({exc})") from exc

    try:
        atomic_write(path, write, keep_previous=keep_previous)
    except CheckpointWriteError:
        raise
    except OSError as exc:  # flush, fsync, close or rename: the disk said no
        raise CheckpointWriteError(path, _reason(exc), exc.errno) from exc


class _WatchedWrites:
    """The file torch.save writes to, remembering the first error a write raised."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self._handle.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def flush(self) -> None:
        try:
            self._handle.flush()
        except OSError as exc:
            self.error = self.error or exc
            raise


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols of foreign files
            state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint") from None
    except pickle.UnpicklingError as exc:
        raise _refusal(path, str(exc)) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{path} is unreadable (truncated or corrupt): {exc}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tuitrain checkpoint")
    problem = _missing_contents(state)
    if problem:
        raise CheckpointError(f"{path} is unreadable (incomplete or corrupt): {problem}")
    return state


_PARTS = ("model", "optimizer", "lr", "rng", "stats", "meter", "doctor", "best", "preset")
"""What resuming reads from a checkpoint, each a dict (see engine.state and engine.checkpointer)."""

_OPTIONAL_PARTS = ("scaler", "stopper")
"""Parts that are None when the run has no such thing."""

_PROGRESS_COUNTS = ("epoch", "batch", "step")


def _missing_contents(state: dict[str, Any]) -> str:
    """What is missing or of the wrong kind in a checkpoint's contents; empty when nothing is."""
    progress = state.get("progress")
    if not isinstance(progress, dict):
        return "no progress record" if progress is None else "its progress is not a record"
    for name in _PROGRESS_COUNTS:
        value = progress.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"progress.{name} is {'missing' if value is None else repr(value)}"
    unknown = sorted(set(progress) - {field.name for field in fields(Progress)})
    if unknown:
        return f"progress has unknown fields: {', '.join(map(str, unknown))}"
    missing = [name for name in _PARTS if name not in state]
    if missing:
        return f"missing {', '.join(missing)}"
    wrong = [name for name in _PARTS if not isinstance(state[name], dict)]
    wrong += [
        name
        for name in _OPTIONAL_PARTS
        if state.get(name) is not None and not isinstance(state[name], dict)
    ]
    if wrong:
        return f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not a record"
    return ""


def _refusal(path: Path, message: str) -> CheckpointError:
    # torch's message is long and generic; the line naming the blocked global is the useful one.
    blocked = [line.strip() for line in message.splitlines() if "GLOBAL" in line]
    if blocked:
        return CheckpointError(
            f"{path} holds code that only unsafe loading would run; refused ({blocked[0]})",
            hint="tuitrain only loads checkpoints made of tensors and plain values",
        )
    return CheckpointError(f"{path} is unreadable (not a checkpoint, or corrupt)")


@dataclass(frozen=True)
class Loaded:
    path: Path
    state: dict[str, Any]
    skipped: list[str]
    """Newer checkpoints that could not be read, with the reason, for the user to hear about."""
    older: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    """The other readable checkpoints, newest first: where a resume falls back to when this one
    turns out not to fit the preset's model (checked by the engine, which builds it)."""


def load_latest(directory: Path) -> Loaded:
    """The newest readable checkpoint among last, previous and best, by training step."""
    candidates = [directory / name for name in (LAST, PREVIOUS, BEST)]
    readable: list[tuple[int, Path, dict[str, Any]]] = []
    skipped: list[str] = []
    for path in candidates:
        if not path.exists():
            continue
        try:
            state = load_checkpoint(path)
        except CheckpointError as exc:
            skipped.append(exc.message)
            continue
        readable.append((int(state["progress"]["step"]), path, state))
    if not readable:
        reason = "; ".join(skipped) if skipped else f"no checkpoints in {directory}"
        raise CheckpointError(f"nothing to resume from: {reason}")
    # A stable sort keeps the first of equals first, so last.pt wins over best.pt at one step.
    ordered = sorted(readable, key=lambda item: -item[0])
    _, path, state = ordered[0]
    older = [(other, held) for _, other, held in ordered[1:]]
    return Loaded(path=path, state=state, skipped=skipped, older=older)
