"""Image files that cannot be used: skipped and counted, listed in full, and a limit on their share.

One unreadable file among a million must not cost a run, but a folder where many are unreadable
is more likely a wrong path, a failed copy or a full disk than bad luck: past the preset's
`data.max_bad_fraction` the run refuses to start and says where the list is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tuitrain.errors import UserError
from tuitrain.textsafe import printable_path

Log = Callable[[str], None]
NAMED = 3
"""How many bad files a message names; the list file holds them all."""


@dataclass(frozen=True)
class BadFile:
    path: Path
    reason: str


class BadFiles:
    """The bad files of one data preparation, written to `list_path` (when given) as found."""

    def __init__(self, list_path: Path | None, limit: float, key: str = "data.max_bad_fraction"):
        self.list_path, self.limit, self.key = list_path, limit, key
        self.found: list[BadFile] = []
        self._warned: set[Path] = set()
        self._lock = threading.Lock()

    def add(self, files: Iterable[BadFile]) -> list[BadFile]:
        """Record `files` (each once); returns those not met before."""
        with self._lock:
            new = [f for f in files if f.path not in self._warned]
            self._warned.update(f.path for f in new)
            self.found.extend(new)
        if new:
            self._write(new)
        return new

    def _write(self, files: list[BadFile]) -> None:
        if self.list_path is None:
            return
        lines = "".join(f"{printable_path(f.path)}\t{f.reason}\n" for f in files)
        try:
            with open(self.list_path, "a", encoding="utf-8") as handle:
                handle.write(lines)
        except OSError:
            pass  # the messages still name the first few; a full disk is reported elsewhere

    def where(self) -> str:
        return f"; the full list is in {self.list_path}" if self.list_path else ""

    def check(self, files: list[BadFile], total: int, folder: Path | None, log: Log) -> None:
        """Report `files`, the bad ones among `total` image files (of `folder`, when they were
        found by listing it); refuse past the limit."""
        new = self.add(files)
        if not new:
            return
        share = len(new) / max(1, total)
        named = ", ".join(f"{_name(f.path, folder)} ({f.reason})" for f in new[:NAMED])
        more = f" and {len(new) - NAMED} more" if len(new) > NAMED else ""
        where = f" in {printable_path(folder)}" if folder is not None else ""
        counted = f"{len(new)} of {total} image files{where}"
        if share > self.limit:
            raise UserError(
                f"{counted} cannot be read ({share:.1%}, more than {self.key} {self.limit:.1%}): "
                f"{named}{more}{self.where()}",
                hint=f"remove or replace those files, or raise {self.key}",
            )
        log(f"warning: skipped {counted} that cannot be read: {named}{more}{self.where()}")

    def during_training(self, path: Path, log: Log) -> None:
        """A file that became unreadable after the scan: said once, never fatal."""
        if self.add([BadFile(path, "unreadable when training read it")]):
            log(
                f"warning: cannot read {printable_path(path)} any more; another image of the "
                f"epoch takes its place each time it comes up{self.where()}"
            )


def _name(path: Path, folder: Path | None) -> str:
    return printable_path(path.relative_to(folder) if folder is not None else path)
