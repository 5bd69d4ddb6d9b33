"""`tuitrain.fit(model, train, val)`: everything `tuitrain run` does, on objects from Python.

The run gets the same run directory, events, checkpoints, signals, attach and ctl as one
started from the command line; its preset records the model and data as `kind: fit`, so
`tuitrain view`, `compare`, `export` and `runs` read it, and `tuitrain.fit(..., resume=RUN)`
continues it.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuitrain.errors import UserError

if TYPE_CHECKING:
    from torch import nn

_FIT_DATA_KEYS = (
    "batch_size",
    "eval_batch_size",
    "shuffle",
    "drop_last",
    "train_subset",
    "val_subset",
    "workers",
    "loader",
    "normalize",
)
"""Settings of a preset's data section that keep their meaning on datasets from Python."""


@dataclass(frozen=True)
class FitResult:
    """How a tuitrain.fit() run ended."""

    status: str
    """completed, early_stopped, stopped, interrupted or failed."""
    epochs: int
    """Complete epochs trained."""
    best_metric: str
    best_value: float | None
    run_dir: Path
    model: nn.Module
    """The trained network (the object given to fit, trained in place)."""
    exit_code: int
    """What `tuitrain run` would have exited with."""
    error: str = ""
    """What went wrong, when status is failed."""


def in_jupyter() -> bool:
    """Whether this is a Jupyter kernel (its stdout is no terminal for the monitor)."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    kernel = get() if callable(get) else None
    return kernel is not None and type(kernel).__name__ == "ZMQInteractiveShell"


def _fit_sections(model: Any, has_val: bool, loaders: bool) -> Any:
    def adjust(tree: dict[str, Any]) -> None:
        given = tree.get("data")
        data: dict[str, Any] = given if isinstance(given, dict) else {}
        kept = {key: data[key] for key in _FIT_DATA_KEYS if key in data}
        tree["data"] = {"kind": "fit", "val_given": has_val, "loaders": loaders, **kept}
        tree["model"] = {"kind": "fit", "name": type(model).__name__}

    return adjust


def _overrides(settings: Mapping[str, Any] | None) -> list[str]:
    """`set={"optim.lr": 0.1}` as the `--set optim.lr=0.1` it means (JSON is YAML)."""
    return [f"{key}={json.dumps(value)}" for key, value in (settings or {}).items()]


def _check_objects(model: Any, train: Any, val: Any) -> bool:
    """Whether train (and val) are DataLoaders; refuses what tuitrain.fit cannot train on."""
    from torch import nn
    from torch.utils.data import DataLoader

    if not isinstance(model, nn.Module):
        raise UserError(f"model is a {type(model).__name__}; tuitrain.fit needs an nn.Module")
    loaders = isinstance(train, DataLoader)
    if val is not None and isinstance(val, DataLoader) != loaders:
        raise UserError(
            "give train and val alike: both Datasets (tuitrain batches them) or both DataLoaders "
            "(used as they are)"
        )
    return loaders


def fit(
    model: nn.Module,
    train: Any,
    val: Any = None,
    *,
    preset: str | Path | dict[str, Any] = "default",
    set: Mapping[str, Any] | None = None,
    classes: Sequence[str] | None = None,
    name: str | None = None,
    runs_dir: str | Path | None = None,
    headless: bool | None = None,
    resume: str | Path | None = None,
) -> FitResult:
    """Train `model` on the map-style Datasets `train` (and `val`) of (image, label) items, with
    the optimizer, schedule, augmentation and loop of `preset` (a bundled name, a file, or a
    dict) and the `set` overrides (`{"optim.lr": 0.1}`, validated like `--set`).

    headless: None shows the monitor when stdout is a terminal (never inside Jupyter).
    resume: a run directory (or name) of an earlier fit to continue from its checkpoint, with
    the objects given here.
    """
    from tuitrain.data.sources import GivenDatasets
    from tuitrain.engine.supplied import Supplied
    from tuitrain.launch import LaunchOptions, resume_run, start_run
    from tuitrain.runs.resolve import default_runs_dir, resolve_run

    loaders = _check_objects(model, train, val)
    if threading.current_thread() is not threading.main_thread():
        raise UserError(
            "tuitrain.fit runs on the main thread: it stops the run cleanly on Ctrl-C and "
            "SIGTERM, whose handlers live there"
        )
    quiet = _headless(headless)
    folder = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    created: list[Path] = []
    options = LaunchOptions(runs_dir=folder, name=name, headless=quiet, on_run=created.append)
    names = [str(c) for c in classes] if classes is not None else None
    supplied = Supplied(model, GivenDatasets(train, val, names))
    if resume is not None:
        path = resolve_run(str(resume), folder)
        code = resume_run(path, options, supplied=supplied)
        return _result(path, model, code)
    source = str(preset) if isinstance(preset, Path) else preset
    from tuitrain.config.loader import load_preset

    adjust = _fit_sections(model, val is not None, loaders)
    loaded = load_preset(source, _overrides(set), adjust=adjust)
    code = start_run(loaded, options, supplied=supplied)
    return _result(created[0], model, code)


def _headless(asked: bool | None) -> bool:
    from tuitrain.cli_common import can_draw

    if in_jupyter():
        if asked is False:
            print("tuitrain: inside Jupyter the monitor cannot draw; running headless")
        else:
            print("tuitrain: running headless inside Jupyter")
        return True
    if asked is None:
        return not can_draw()
    return asked or not can_draw()


def _result(run_dir: Path, model: nn.Module, code: int) -> FitResult:
    from tuitrain.engine import events as ev
    from tuitrain.runs.reader import read_events

    events, _ = read_events(run_dir / "events.jsonl")
    ended = [e for e in events if isinstance(e, ev.Finished | ev.Failed)]
    epochs = max((e.epoch for e in events if isinstance(e, ev.EpochEnded)), default=0)
    last = ended[-1] if ended else None
    if not isinstance(last, ev.Finished):
        error = last.message if last is not None else "the run ended without a result"
        best = [e for e in events if isinstance(e, ev.EpochEnded)]
        metric = best[-1].best_metric if best else ""
        value = best[-1].best_value if best else None
        return FitResult("failed", epochs, metric, value, run_dir, model, code, error)
    return FitResult(
        last.status, last.epoch, last.best_metric, last.best_value, run_dir, model, code
    )


__all__ = ["FitResult", "fit", "in_jupyter"]
