"""Checkpoint files: written atomically, read only as plain tensors and containers.

`torch.load(weights_only=True)` refuses anything that would need to run code to unpickle, and
there is deliberately no fallback to unsafe loading: a checkpoint that needs it is refused.
"""

from __future__ import annotations

import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tuitrain.engine.state import FORMAT
from tuitrain.errors import UserError
from tuitrain.runs.atomic import atomic_write

LAST = "last.pt"
PREVIOUS = "previous.pt"
BEST = "best.pt"


class CheckpointError(UserError):
    """A checkpoint that cannot be used: corrupt, truncated, foreign or unsafe."""


def save_checkpoint(
    state: dict[str, Any], path: Path, *, keep_previous: Path | None = None
) -> None:
    atomic_write(path, lambda handle: torch.save(state, handle), keep_previous=keep_previous)


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
    return state


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
    # max() keeps the first of equals, so last.pt wins over best.pt at the same step.
    _, path, state = max(readable, key=lambda item: item[0])
    return Loaded(path=path, state=state, skipped=skipped)
