"""Starting and resuming runs: the run directory, the trainer, its consumers, and the exit code."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.config.loader import LoadedPreset, preset_to_yaml
from tuitrain.config.preset import Preset
from tuitrain.control.errors import ControlError, SocketInUse
from tuitrain.control.server import ControlServer
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import ResumePoint, Trainer
from tuitrain.errors import UserError
from tuitrain.headless import HeadlessPrinter
from tuitrain.runs.checkpoint import load_latest
from tuitrain.runs.log import RunLog
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.status import read_status
from tuitrain.signals import SignalBridge


@dataclass(frozen=True)
class LaunchOptions:
    runs_dir: Path = Path("runs")
    name: str | None = None
    headless: bool = False
    log_every: float = 10.0


def wants_headless(requested: bool) -> bool:
    """Headless when asked, or when there is no terminal to draw on."""
    term = os.environ.get("TERM", "")
    return requested or not sys.stdout.isatty() or term in ("", "dumb")


def start_run(loaded: LoadedPreset, options: LaunchOptions) -> int:
    run = RunDirectory.create(options.runs_dir, options.name or loaded.name)
    run.write_preset(preset_to_yaml(loaded.preset))
    trainer = Trainer(
        loaded.preset,
        name=loaded.name,
        resolved=loaded.resolved,
        run_dir=str(run.path),
        checkpoints=run,
    )
    return _execute(trainer, run, options)


def resume_run(run_path: Path, options: LaunchOptions) -> int:
    if not run_path.is_dir():
        raise UserError(f"{run_path} is not a run directory")
    run = RunDirectory(run_path)
    status = read_status(run_path)
    if status.get("status") in ("running", "paused"):
        raise UserError(
            f"{run_path} is still running (pid {status.get('pid')})",
            hint=f"watch it with: tuitrain attach {run_path}",
        )
    run.remove_temporary_files()
    latest = load_latest(run.checkpoints)
    state = latest.state
    preset = _preset_from(state, latest.path)
    for reason in latest.skipped:
        print(f"tuitrain: warning: skipped a newer checkpoint: {reason}", file=sys.stderr)
    trainer = Trainer(
        preset,
        name=str(state.get("preset_name", "preset")),
        resolved=state["preset"],
        run_dir=str(run.path),
        checkpoints=run,
        resume=ResumePoint(path=str(latest.path), state=state),
    )
    return _execute(trainer, run, options)


def _preset_from(state: dict[str, Any], path: Path) -> Preset:
    from pydantic import ValidationError

    try:
        return Preset.model_validate(state["preset"])
    except (KeyError, ValidationError) as exc:
        raise UserError(f"the preset saved in {path} no longer validates: {exc}") from None


def _execute(trainer: Trainer, run: RunDirectory, options: LaunchOptions) -> int:
    log = RunLog(run, preset_name=trainer.name, epochs=trainer.preset.train.epochs)
    trainer.subscribe(log)  # first, so the log holds every event a consumer has seen
    control = _open_control(trainer, run, log)
    try:
        if wants_headless(options.headless):
            return _run_headless(trainer, options)
        return _run_monitor(trainer, options)
    finally:
        if control is not None:
            control.close()
        log.close()


def _open_control(trainer: Trainer, run: RunDirectory, log: RunLog) -> ControlServer | None:
    """The run's control channel (attach, ctl). Without it the run still trains."""
    server = ControlServer.for_run(
        run.path, trainer.submit, lock=trainer.bus.lock, history_offset=lambda: log.offset
    )
    try:
        path = server.start()
    except SocketInUse as exc:
        raise UserError(str(exc)) from None
    except ControlError as exc:
        print(
            f"tuitrain: warning: no control channel ({exc}); "
            "attach and ctl will not reach this run",
            file=sys.stderr,
        )
        return None
    trainer.subscribe(server.on_event)
    log.set_control(str(path))  # before the trainer starts: the log's status is not shared yet
    return server


def _run_headless(trainer: Trainer, options: LaunchOptions) -> int:
    trainer.subscribe(HeadlessPrinter(sys.stdout, every_s=options.log_every))
    began = _TrainingBegun()
    trainer.subscribe(began)
    bridge = SignalBridge(trainer.submit, training_begun=began.__bool__)
    bridge.install()
    try:
        trainer.start()
        while not trainer.join(timeout=0.25):
            pass
    finally:
        bridge.restore()
    return exit_code(trainer.result, bridge.exit_code)


def _run_monitor(trainer: Trainer, options: LaunchOptions) -> int:
    from tuitrain.ui.local import run_monitor

    return run_monitor(trainer, options)


class _TrainingBegun:
    """A consumer that notes the first step of training."""

    def __init__(self) -> None:
        self.begun = False

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.begun = True

    def __bool__(self) -> bool:
        return self.begun


def exit_code(result: ev.Finished | ev.Failed | None, signal_code: int | None) -> int:
    """0 finished, 1 failed, 2 bad input, 130 Ctrl-C, 143 SIGTERM."""
    if isinstance(result, ev.Failed):
        return 2 if result.error == "input" else 1
    if isinstance(result, ev.Finished) and result.status == "interrupted" and signal_code:
        return signal_code
    return 0 if result is not None else 1
