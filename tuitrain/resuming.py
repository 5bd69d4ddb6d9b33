"""What `tuitrain resume` checks before it trains: that the run can be resumed, which checkpoint
it continues from, that it has work left, and that it is given what it needs to be rebuilt."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tuitrain.config.preset import Preset
from tuitrain.engine.supplied import Supplied
from tuitrain.errors import UserError
from tuitrain.runs import privacy
from tuitrain.runs.checkpoint import load_latest
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.status import read_status


def latest_checkpoint(run: RunDirectory, policy: privacy.Policy) -> Any:
    """The run's newest readable checkpoint, once the run is known to be resumable."""
    status = read_status(run.path)
    if status.get("status") in ("running", "paused"):
        raise UserError(
            f"{run.path} is still running (pid {status.get('pid')})",
            hint=f"watch it with: tuitrain attach {run.path}",
        )
    run.check_writable()
    run.remove_temporary_files()
    privacy.apply(run.path, policy)
    latest = load_latest(run.checkpoints)
    for reason in latest.skipped:  # first: it may be why what follows looks wrong
        print(f"tuitrain: warning: skipped a newer checkpoint: {reason}", file=sys.stderr)
    return latest


def set_epochs(state: dict[str, Any], epochs: int | None) -> None:
    """`resume --epochs N`: the run's length, changed in the preset the checkpoint holds."""
    if epochs is not None and isinstance(state.get("preset"), dict):
        train = state["preset"].get("train", {})
        state["preset"] = {**state["preset"], "train": {**train, "epochs": epochs}}


def path_of(latest: Any) -> str:
    return str(latest.path)


def check_work_left(preset: Preset, state: dict[str, Any], run_path: Path) -> None:
    done = int(state["progress"]["epoch"])
    if done >= preset.train.epochs:
        raise UserError(
            f"{run_path.name} has already trained all {done} of its {preset.train.epochs} epochs",
            hint=f"train it longer with: tuitrain resume {run_path} --epochs {done + 10}",
        )


def check_supplied(preset: Preset, supplied: Supplied | None, run_path: Path) -> None:
    from_fit = preset.model.kind == "fit" or preset.data.kind == "fit"
    if from_fit and supplied is None:
        raise UserError(
            f"{run_path.name} was trained by tuitrain.fit() on a model and datasets from Python; "
            "the command line cannot build them",
            hint="continue it from Python: "
            f"tuitrain.fit(model, train, val, resume={str(run_path)!r})",
        )
    if supplied is not None and not from_fit:
        raise UserError(
            f"{run_path.name} was started from a preset, not by tuitrain.fit()",
            hint=f"continue it with: tuitrain resume {run_path}",
        )


def preset_from(state: dict[str, Any], path: Path) -> Preset:
    from pydantic import ValidationError

    try:
        return Preset.model_validate(state["preset"])
    except KeyError:
        raise UserError(f"{path} holds no preset to resume with") from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise UserError(f"the preset saved in {path} does not validate: {problems}") from None
