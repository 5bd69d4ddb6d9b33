"""Importing and calling the code a preset names (`model.target`, `data.target`).

It is the user's code: when it fails, what helps them is their own traceback (tuitrain's
frames left out) and one line saying what tuitrain expected. Such failures are UserCodeErrors,
so a preset that cannot be built ends with exit code 2 and nothing of tuitrain's insides.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from tuitrain.config.targets import Target, parse_target
from tuitrain.errors import UserError

_PACKAGE_ROOT = str(Path(__file__).resolve().parent)
USER_MODULE_PREFIX = "tuitrain_user_"
"""Files imported under a name of their own (their stem was taken); workers cannot import it."""


class UserCodeError(UserError):
    """The user's code failed or gave something tuitrain cannot use."""

    def __init__(self, summary: str, *, user_traceback: str = "", hint: str = "") -> None:
        message = f"{user_traceback.rstrip()}\n{summary}" if user_traceback else summary
        super().__init__(message, hint=hint)
        self.summary = summary
        self.user_traceback = user_traceback


def user_traceback(exc: BaseException) -> str:
    """The traceback of exc with only the frames outside tuitrain (the user's, and the
    libraries they called), as Python prints it."""
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(_PACKAGE_ROOT)
        and not frame.filename.startswith("<frozen importlib")
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


_LIBRARY_ROOTS = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def _is_users(filename: str) -> bool:
    """A frame of the user's own code: outside tuitrain, the standard library and installed
    packages (a model file beside the preset, a notebook cell, an editable package)."""
    return not filename.startswith((_PACKAGE_ROOT, *_LIBRARY_ROOTS)) and not filename.startswith(
        "<frozen"
    )


TRAINING_EXPECTS = (
    "tuitrain expects the model to map a float batch (N, C, H, W) to class scores "
    "(N, classes), and each dataset item to be (image, int label)"
)


def failure_in_user_code(exc: BaseException) -> str | None:
    """For an exception raised inside the user's code while training: their traceback and a
    line saying what tuitrain expected; None when the exception did not pass through it."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not any(_is_users(frame.filename) for frame in frames):
        return None
    summary = f"the user's code raised {type(exc).__name__} during training; {TRAINING_EXPECTS}"
    return f"{user_traceback(exc).rstrip()}\n{summary}"


@contextmanager
def reported(summary: str, *, hint: str = "") -> Iterator[None]:
    """Run the user's code; an exception from it becomes a UserCodeError with their traceback."""
    try:
        yield
    except UserError:
        raise
    except Exception as exc:
        raise UserCodeError(summary, user_traceback=user_traceback(exc), hint=hint) from None


def _module_name(path: Path) -> str:
    """The name a file is imported under: its stem when no other module has it (so loader
    worker processes, which import by name, find it on the path), else one unique to the file."""
    stem = path.stem
    if stem.isidentifier():
        loaded = sys.modules.get(stem)
        if loaded is not None and getattr(loaded, "__file__", None) == str(path):
            return stem
        if loaded is None:
            try:
                spec = importlib.util.find_spec(stem)
            except (ImportError, ValueError):
                spec = None
            if spec is None or spec.origin == str(path):
                return stem
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return f"{USER_MODULE_PREFIX}{stem if stem.isidentifier() else 'module'}_{digest}"


def _import_file(path: Path) -> ModuleType:
    name = _module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    folder = str(path.parent)
    if folder not in sys.path:
        # The file's neighbours import as they would beside a script, and worker processes
        # (started after this) import the file by name.
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UserCodeError(f"{path} cannot be imported as Python code")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def import_target(text: str, key: str) -> tuple[Any, Target]:
    """The object a target names, and the parsed target. `key` (model.target) places errors."""
    target = parse_target(text)
    if target.is_file:
        path = Path(target.module)
        if not path.is_file():
            raise UserCodeError(
                f"{key}: {path} does not exist (moved or deleted since the run started?)"
            )
        with reported(f"{key}: importing {path} failed"):
            module = _import_file(path)
    else:
        with reported(f"{key}: importing module {target.module} failed"):
            module = importlib.import_module(target.module)
    found: Any = module
    for part in target.attribute.split("."):
        if not hasattr(found, part):
            where = str(Path(target.module).name) if target.is_file else target.module
            names = [n for n in dir(found) if not n.startswith("_")]
            from tuitrain.config.problems import did_you_mean

            raise UserCodeError(
                f"{key}: {where} has no {target.attribute!r}{did_you_mean(part, names)}"
            )
        found = getattr(found, part)
    return found, target


def target_file(text: str) -> str | None:
    """The absolute file a target imports, or None for a module target."""
    target = parse_target(text)
    return str(Path(target.module).resolve()) if target.is_file else None


def accepted(call: Callable[..., Any], offered: dict[str, Any]) -> dict[str, Any]:
    """The offered keyword arguments that call's signature takes (all of them with **kwargs)."""
    try:
        parameters = inspect.signature(call).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(offered)
    names = {
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return {name: value for name, value in offered.items() if name in names}
