"""Files that grow by whole lines, and keep working when the disk says no.

A full disk, a quota or a file-size limit must not end a run whose checkpoints may still fit,
nor leave half a line that every reader would have to skip: each line is written with one
`write` call on an O_APPEND descriptor, and a write the system refuses is undone (the file is
cut back to its last whole line) and counted. The next line is tried again, so the log picks
up as soon as there is room.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


class LineFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        self.size = os.lseek(self._fd, 0, os.SEEK_END)
        """Bytes of whole lines in the file."""
        self.lost = 0
        """Lines the system refused."""
        self.error: OSError | None = None
        """The first refusal."""

    def append(self, text: str) -> bool:
        """Write `text` (whole lines); False, with the file unchanged, when it was refused."""
        encoded = text.encode("utf-8")
        data = memoryview(encoded)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            self.lost += 1
            self.error = self.error or exc
            return False
        self.size += len(encoded)
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def reason(error: OSError | None) -> str:
    """An OSError in words: 'No space left on device'."""
    if error is None:
        return "unknown error"
    return error.strerror or str(error)
