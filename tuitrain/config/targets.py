"""Targets that name a user's code: `models.py:MyNet` (a file) or `mypackage.nets:MyNet`.

Checked without importing anything: the form, the file's existence, and a denylist. Naming a
module such as `os:system` or `subprocess:run` in a preset would turn a preset into a way to
run commands, so the standard library and a few known tools for that are refused (as
jsonargparse does for its class paths). Importing is the business of tuitrain.usercode.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tuitrain.config.document import Document, KeyPath, lookup

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_ATTRIBUTE = re.compile(rf"^{_NAME}(\.{_NAME})*$")
_MODULE = _ATTRIBUTE

DENIED_MODULES = frozenset(
    {
        "os",
        "sys",
        "subprocess",
        "builtins",
        "importlib",
        "pickle",
        "shutil",
        "socket",
        "ctypes",
        "multiprocessing",
        "runpy",
        "code",
        "pty",
        "signal",
        "posix",
        "nt",
        "marshal",
        "shelve",
        "dill",
        "cloudpickle",
        "joblib",
        "pexpect",
        "paramiko",
        "fabric",
        "invoke",
        "sh",
        "plumbum",
        "requests",
        "httpx",
        "urllib3",
        "tuitrain",
    }
)
"""Refused as the module of a target, besides everything in the standard library."""

TARGET_PATHS: tuple[KeyPath, ...] = (("model", "target"), ("data", "target"))
"""Where presets name user code."""


@dataclass(frozen=True)
class Target:
    """A parsed target: a file path (absolute once anchored) or a module name, and an
    attribute in it (`MyNet`, or `Outer.make`)."""

    module: str
    attribute: str
    is_file: bool

    @property
    def text(self) -> str:
        return f"{self.module}:{self.attribute}"

    @property
    def shown(self) -> str:
        """As users know it: the file's name rather than its whole path."""
        return f"{Path(self.module).name}:{self.attribute}" if self.is_file else self.text


def _looks_like_file(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module or module.startswith("~")


def parse_target(text: str) -> Target:
    """The target `text` names; ValueError saying what is wrong with its form."""
    module, colon, attribute = text.rpartition(":")
    if not colon or not module or not attribute:
        raise ValueError(
            f"{text!r} is not a target; write 'file.py:Name' (a file beside the preset) "
            "or 'package.module:Name'"
        )
    if not _ATTRIBUTE.match(attribute):
        raise ValueError(f"{attribute!r} after ':' is not a Python name")
    if _looks_like_file(module):
        if not module.endswith(".py"):
            raise ValueError(f"{module!r} is not a Python file (a file target ends in .py)")
        return Target(module, attribute, is_file=True)
    if not _MODULE.match(module):
        raise ValueError(f"{module!r} is neither a .py file nor a dotted module name")
    return Target(module, attribute, is_file=False)


def check_target(text: str) -> str:
    """The target, if it may be imported: the form is right, the file exists, the module is not
    one that runs commands. ValueError otherwise (pydantic places it at the key)."""
    target = parse_target(text)
    if target.is_file:
        path = Path(target.module).expanduser()
        if not path.is_file():
            raise ValueError(f"no such file {path}")
        return text
    top = target.module.split(".")[0]
    if top in DENIED_MODULES or top in sys.stdlib_module_names:
        raise ValueError(
            f"module {top!r} is refused: tuitrain imports only model and dataset code "
            "(not the standard library, nor modules that run programs)"
        )
    return text


def anchor_targets(document: Document) -> None:
    """Make the file targets in a preset absolute, each against the folder of the preset file
    that wrote it (so a preset and its model file travel together); one set on the command
    line is relative to the working directory. Changes document.tree in place."""
    for path in TARGET_PATHS:
        text = lookup(document.tree, path)
        if not isinstance(text, str):
            continue
        try:
            target = parse_target(text)
        except ValueError:
            continue  # validation reports it at its key
        file = Path(target.module).expanduser()
        if not target.is_file or file.is_absolute():
            if target.is_file:
                document.tree[path[0]][path[1]] = f"{file}:{target.attribute}"
            continue
        where = document.origin(path).value
        folder = Path(where.source).parent if where.line > 0 else Path()
        anchored = Path(os.path.abspath(folder / file))
        document.tree[path[0]][path[1]] = f"{anchored}:{target.attribute}"


def user_files(tree: object) -> tuple[str, ...]:
    """The user's files a resolved preset imports (model.target, data.target), absolute."""
    files: list[str] = []
    for path in TARGET_PATHS:
        text = lookup(tree, path)
        if isinstance(text, str):
            try:
                target = parse_target(text)
            except ValueError:
                continue
            if target.is_file:
                files.append(target.module)
    return tuple(files)
