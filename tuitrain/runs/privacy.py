"""Who may read a run directory: one policy for all of it, private unless the user shares.

A run's files say the same things several times over (`run_started` in events.jsonl carries the
whole preset; export rebuilds metrics.csv from the events), so any file left readable exposes
what a private one hides. The policy is therefore the whole directory's: the folders and every
file in them get one mode, set through the process umask while the run writes (so files made
anywhere in the run, by any module, follow it) and applied to what a resumed run finds there.

`TUITRAIN_SHARE` chooses it: unset or `private` (folders 0700, files 0600, like the control
socket); `group` (0750 / 0640: the owner's group may view, compare and export the run); `all`
(0755 / 0644). The control socket stays 0600 whatever the policy: only its owner steers a run.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tuitrain.errors import UserError

SHARE_VARIABLE = "TUITRAIN_SHARE"


@dataclass(frozen=True)
class Policy:
    name: str
    umask: int

    @property
    def file_mode(self) -> int:
        return 0o666 & ~self.umask

    @property
    def folder_mode(self) -> int:
        return 0o777 & ~self.umask


POLICIES = {
    "private": Policy("private", 0o077),
    "group": Policy("group", 0o027),
    "all": Policy("all", 0o022),
}


def chosen() -> Policy:
    """The policy TUITRAIN_SHARE names (private when unset); a UserError for another value."""
    value = os.environ.get(SHARE_VARIABLE, "").strip().lower() or "private"
    policy = POLICIES.get(value)
    if policy is None:
        raise UserError(
            f"{SHARE_VARIABLE}={value!r} is not a sharing policy",
            hint=f"set {SHARE_VARIABLE} to private (the default), group or all",
        )
    return policy


_current: Policy | None = None


def current_file_mode() -> int | None:
    """The file mode of the policy a run is writing under; None outside a run."""
    return _current.file_mode if _current is not None else None


@contextlib.contextmanager
def writing_under(policy: Policy) -> Iterator[Policy]:
    """While a run writes: files and folders it creates get the policy's modes."""
    global _current
    earlier = os.umask(policy.umask)
    _current = policy
    try:
        yield policy
    finally:
        _current = None
        os.umask(earlier)


def apply(run_dir: Path, policy: Policy) -> None:
    """Give a run directory made earlier (a resumed run's) the policy's modes throughout.
    Sockets keep their own mode; files of another owner are left as they are."""
    for folder, _, files in os.walk(run_dir):
        _chmod(Path(folder), policy.folder_mode)
        for name in files:
            _chmod(Path(folder) / name, policy.file_mode)


def _chmod(path: Path, mode: int) -> None:
    try:
        info = os.lstat(path)
        if stat.S_ISSOCK(info.st_mode) or stat.S_ISLNK(info.st_mode):
            return
        if stat.S_IMODE(info.st_mode) != mode and info.st_uid == os.getuid():
            os.chmod(path, mode)
    except OSError:
        pass  # a read-only run directory is refused elsewhere, with its own message
