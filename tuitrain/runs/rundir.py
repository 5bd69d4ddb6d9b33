"""A run directory: created exclusively, holding the preset, the logs and the checkpoints."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from tuitrain.errors import UserError
from tuitrain.pictures.tiles import Pictures
from tuitrain.runs.atomic import atomic_write_text
from tuitrain.runs.checkpoint import save_checkpoint
from tuitrain.runs.files import BEST, CHECKPOINTS, EVENTS, LAST, METRICS, PRESET, PREVIOUS
from tuitrain.runs.samples import write_samples


def safe_name(name: str) -> str:
    """A name fit for a directory: letters, digits, dot, dash and underscore."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return cleaned[:60] or "run"


class RunDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, runs_dir: Path, name: str, *, now: float | None = None) -> RunDirectory:
        """A new directory `<YYYYmmdd-HHMMSS>-<name>`; mkdir is exclusive, so two runs started
        in the same second get different directories (a numbered suffix) and never race."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        base = f"{stamp}-{safe_name(name)}"
        # Absolute, so the paths a run records (its socket, its checkpoints) hold from any cwd.
        runs_dir = runs_dir.absolute()
        try:
            runs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"cannot create the runs directory {runs_dir}: {exc.strerror}"
            ) from None
        for attempt in range(1, 1000):
            path = runs_dir / (base if attempt == 1 else f"{base}-{attempt}")
            try:
                path.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                raise UserError(f"cannot create the run directory {path}: {exc.strerror}") from None
            (path / CHECKPOINTS).mkdir()
            return cls(path)
        raise UserError(f"too many runs named {base} in {runs_dir}")

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def events_path(self) -> Path:
        return self.path / EVENTS

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def write_preset(self, text: str) -> None:
        atomic_write_text(self.path / PRESET, text)

    def save(self, state: dict[str, Any], reason: str, *, best: bool = False) -> str:
        """Write a checkpoint (the trainer's CheckpointSink). The last two generations of
        last.pt are kept, so a checkpoint found broken at resume has a fallback."""
        self.checkpoints.mkdir(exist_ok=True)
        if best:
            path = self.checkpoints / BEST
            save_checkpoint(state, path)
        else:
            path = self.checkpoints / LAST
            save_checkpoint(state, path, keep_previous=self.checkpoints / PREVIOUS)
        return str(path)

    def check_writable(self) -> None:
        """A UserError when the run directory (or its checkpoints folder) cannot be written:
        a read-only mount, a folder of someone else's, a run copied off a read-only archive.
        Resuming writes logs and checkpoints there, so it is said before any work starts."""
        for folder in (self.path, self.checkpoints):
            if not folder.is_dir():
                continue
            try:
                fd, name = tempfile.mkstemp(prefix=".writable.", suffix=".tmp", dir=folder)
            except OSError as exc:
                raise UserError(
                    f"cannot resume {self.path}: {folder} is read-only "
                    f"({exc.strerror or exc}), and a resumed run writes its logs and "
                    "checkpoints there",
                    hint=f"resume a copy: cp -a {self.path} {self.path}-copy && "
                    f"tuitrain resume {self.path}-copy",
                ) from None
            os.close(fd)
            os.unlink(name)

    def save_samples(self, kind: str, pictures: Pictures, class_names: list[str]) -> str:
        """Write pictures of the run in samples/ (the trainer's SampleSink)."""
        return write_samples(self.path, kind, pictures, class_names)

    def remove_temporary_files(self) -> list[Path]:
        """Delete half-written files (checkpoints, status) left by a process killed while
        replacing them; the files under their final names are whole."""
        removed = []
        for temp in [*self.path.glob(".*.tmp"), *self.checkpoints.glob(".*.tmp")]:
            temp.unlink(missing_ok=True)
            removed.append(temp)
        return removed
