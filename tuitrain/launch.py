"""Starting and resuming runs: the run directory, the trainer, its consumers, and the exit code."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuitrain.config.loader import LoadedPreset, preset_to_yaml
from tuitrain.config.targets import user_files
from tuitrain.control.errors import ControlError, SocketInUse
from tuitrain.control.server import ControlServer
from tuitrain.distributed.startup import (
    agree,
    checkpoint_sink,
    preset_on_rank,
    write_output_to,
)
from tuitrain.engine import events as ev
from tuitrain.engine.checkpointer import ResumePoint
from tuitrain.engine.supplied import Supplied
from tuitrain.engine.trainer import Trainer
from tuitrain.errors import UserError
from tuitrain.exitcodes import INTERRUPTED, for_result
from tuitrain.headless import HeadlessPrinter
from tuitrain.resuming import (
    check_supplied,
    check_work_left,
    latest_checkpoint,
    path_of,
    preset_from,
    set_epochs,
)
from tuitrain.runs import privacy
from tuitrain.runs.checkpoint import load_checkpoint
from tuitrain.runs.files import CONSOLE_LOG, SKIPPED_FILES
from tuitrain.runs.log import RunLog
from tuitrain.runs.reader import read_history_told
from tuitrain.runs.rundir import RunDirectory
from tuitrain.runs.status import read_status
from tuitrain.signals import HangUp, SignalBridge
from tuitrain.words import describe_end, hangup_note

if TYPE_CHECKING:  # the monitor imports textual, which batch jobs never load
    from tuitrain.ui.app import MonitorApp


@dataclass(frozen=True)
class LaunchOptions:
    runs_dir: Path = Path("runs")
    name: str | None = None
    headless: bool = False
    """Plain lines instead of the monitor: the command line sets it when asked for, and when
    stdout is no terminal to draw on."""
    log_every: float = 10.0
    on_run: Callable[[Path], None] | None = None
    """Told the new run's directory as soon as it exists (tuitrain.fit reads it afterwards)."""


def start_run(
    loaded: LoadedPreset,
    options: LaunchOptions,
    *,
    world: Any = None,
    supplied: Supplied | None = None,
) -> int:
    """Train a preset; `world`: this process's rank, when several train the run; `supplied`:
    the model and datasets of a tuitrain.fit() call."""
    with privacy.writing_under(privacy.chosen()):
        return _start(loaded, options, world, supplied)


def _start(
    loaded: LoadedPreset, options: LaunchOptions, world: Any, supplied: Supplied | None
) -> int:
    def create() -> RunDirectory:
        run = RunDirectory.create(options.runs_dir, options.name or loaded.name)
        run.write_preset(preset_to_yaml(loaded.preset))
        return run

    if world is None:
        run = create()
    elif world.is_primary:
        run = agree(world, create, lambda made: str(made.path))
    else:
        run = RunDirectory(Path(agree(world, None, str)))
        write_output_to(run.path, world.rank)
    if options.on_run is not None:
        options.on_run(run.path)
    trainer = Trainer(
        preset_on_rank(loaded.preset, world),
        name=loaded.name,
        resolved=loaded.resolved,
        run_dir=str(run.path),
        skipped_files=run.path / SKIPPED_FILES if world is None or world.is_primary else None,
        checkpoints=checkpoint_sink(run, world),
        samples=run if world is None or world.is_primary else None,
        world=world,
        supplied=supplied,
    )
    return _execute(trainer, run, options, world=world)


def resume_run(
    run_path: Path,
    options: LaunchOptions,
    *,
    epochs: int | None = None,
    world: Any = None,
    supplied: Supplied | None = None,
) -> int:
    """Continue a run from its newest readable checkpoint; `epochs` extends (or sets) its length.
    With several ranks, rank 0 checks the run and picks the checkpoint; every rank loads it.
    `supplied`: the model and datasets of a tuitrain.fit() run, given again."""
    if not run_path.is_dir():
        raise UserError(f"{run_path} is not a run directory")
    with privacy.writing_under(privacy.chosen()) as policy:
        return _resume(run_path, options, epochs, policy, world, supplied)


def _resume(
    run_path: Path,
    options: LaunchOptions,
    epochs: int | None,
    policy: privacy.Policy,
    world: Any,
    supplied: Supplied | None = None,
) -> int:
    run_path = run_path.absolute()  # logged and shown as a new run's path is
    run = RunDirectory(run_path)
    older: tuple[ResumePoint, ...] = ()
    if world is None or world.is_primary:

        def checked() -> Any:
            return latest_checkpoint(run, policy)

        latest = checked() if world is None else agree(world, checked, path_of)
        checkpoint, state = latest.path, latest.state
        if world is None:  # ranks all resume from the one checkpoint rank 0 agreed on
            older = tuple(ResumePoint(str(path), held) for path, held in latest.older)
    else:
        checkpoint = Path(agree(world, None, str))
        write_output_to(run.path, world.rank)
        state = load_checkpoint(checkpoint)
    if world is not None:
        from tuitrain.distributed.world import rank_state

        state = rank_state(state, world.rank, world.world_size)
    for held in (state, *(point.state for point in older)):
        set_epochs(held, epochs)
    preset = preset_from(state, checkpoint)
    check_work_left(preset, state, run_path)
    check_supplied(preset, supplied, run_path)
    for file in user_files(state["preset"]):
        print(f"tuitrain: importing {file} again, as the run's preset says", file=sys.stderr)
    trainer = Trainer(
        preset_on_rank(preset, world),
        name=str(state.get("preset_name", "preset")),
        resolved=state["preset"],
        run_dir=str(run.path),
        skipped_files=run.path / SKIPPED_FILES if world is None or world.is_primary else None,
        checkpoints=checkpoint_sink(run, world),
        samples=run if world is None or world.is_primary else None,
        resume=ResumePoint(path=str(checkpoint), state=state, fallbacks=older),
        world=world,
        supplied=supplied,
    )
    covered = int(state["progress"]["epoch"])
    return _execute(trainer, run, options, covered_epochs=covered, world=world)


def _execute(
    trainer: Trainer,
    run: RunDirectory,
    options: LaunchOptions,
    *,
    covered_epochs: int | None = None,
    world: Any = None,
) -> int:
    """`covered_epochs`: on resume, the epochs the checkpoint holds (see RunLog)."""
    if world is not None:
        trainer.subscribe(world.on_event)
    if world is not None and not world.is_primary:
        return _run_rank(trainer, options)
    log = RunLog(
        run,
        preset_name=trainer.name,
        epochs=trainer.preset.train.epochs,
        covered_epochs=covered_epochs,
        warn=lambda message: trainer.bus.emit(ev.Warned(category="disk", message=message)),
    )
    trainer.subscribe(log)  # first, so the log holds every event a consumer has seen
    control = _open_control(trainer, run, log)
    try:
        if options.headless:
            return _run_headless(trainer, run, log, options)
        return _run_monitor(trainer, run, log, options)
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


def _run_rank(trainer: Trainer, options: LaunchOptions) -> int:
    """A rank other than 0: it trains, steered by rank 0; its plain progress lines go to its
    rank-N.log (its standard output by now). Its own signals reach rank 0 at the next exchange."""
    trainer.subscribe(HeadlessPrinter(sys.stdout, every_s=options.log_every))
    bridge = _signal_bridge(trainer)
    bridge.install()
    try:
        trainer.start()
        _wait(trainer)
    finally:
        bridge.restore()
    return for_result(trainer.result, bridge.exit_code)


def _run_headless(trainer: Trainer, run: RunDirectory, log: RunLog, options: LaunchOptions) -> int:
    trainer.subscribe(HeadlessPrinter(sys.stdout, every_s=options.log_every))
    hangup = HangUp(on_hangup=lambda: _log_to_console_file(trainer, run, options))
    bridge = _signal_bridge(trainer, on_hangup=hangup)
    bridge.install()
    try:
        trainer.start()
        _wait(trainer)
    finally:
        bridge.restore()
    return for_result(trainer.result, bridge.exit_code, log.unsaved)


def _run_monitor(trainer: Trainer, run: RunDirectory, log: RunLog, options: LaunchOptions) -> int:
    """Train under the monitor. A hang-up (the SSH connection dropped) closes the monitor but
    not the run: training goes on headless, logging to the run directory, ready to attach."""
    from tuitrain.ui.app import MonitorApp
    from tuitrain.ui.local import TrainerLink, wait_for_run

    # Exported COLUMNS/LINES would pin the monitor to one size and hide every resize.
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    link = TrainerLink(trainer, read_history_told(run.events_path) if trainer.resuming else ())
    app = MonitorApp(link, trainer.preset.monitor, f"tuitrain {trainer.name}")
    hangup = HangUp(on_hangup=lambda: _close_monitor(app))
    bridge = _signal_bridge(trainer, on_hangup=hangup, announce=False)
    watchdog = _ExitWatchdog(
        exit_code=lambda: for_result(trainer.result, _signal_code(bridge, app), log.unsaved),
        closing=lambda: app.stop_sent or hangup.happened or bridge.received is not None,
    )
    trainer.subscribe(watchdog)
    bridge.install()
    try:
        app.run()
        watchdog.ui_closed.set()
        link.close()
        if hangup.happened:
            _log_to_console_file(trainer, run, options)
            _wait(trainer)
        elif link.started:
            wait_for_run(trainer, asked=app.stop_sent or bridge.received is not None)
            _say_how_it_ended(trainer.result, run)
    finally:
        bridge.restore()
    return for_result(trainer.result, _signal_code(bridge, app), log.unsaved)


def _signal_code(bridge: SignalBridge, app: MonitorApp) -> int | None:
    """The exit code of an interruption: a signal's, or Ctrl-C's pressed in the monitor (a key
    there, not a signal, but the user means the same)."""
    return bridge.exit_code or (INTERRUPTED if app.interrupted else None)


def _say_how_it_ended(result: ev.Finished | ev.Failed | None, run: RunDirectory) -> None:
    """The monitor's screen is gone once it closes: leave the outcome in the shell."""
    if result is None:
        return
    failed = isinstance(result, ev.Failed)
    stream = sys.stderr if failed else sys.stdout
    print(f"tuitrain: {describe_end(result)}", file=stream)
    print(f"tuitrain: run directory {run.path}", file=stream)


def _signal_bridge(trainer: Trainer, **options: Any) -> SignalBridge:
    began = _TrainingBegun()
    trainer.subscribe(began)
    return SignalBridge(trainer.submit, training_begun=began.__bool__, **options)


def _wait(trainer: Trainer) -> None:
    # Short joins, so the main thread gets to run signal handlers.
    while not trainer.join(timeout=0.25):
        pass


def _close_monitor(app: Any) -> None:
    from tuitrain.ui.messages import Detach

    try:  # wake the app's loop: the handler may have interrupted its select()
        asyncio.get_running_loop().call_soon_threadsafe(app.post_message, Detach())
    except RuntimeError:
        app.post_message(Detach())


def _log_to_console_file(trainer: Trainer, run: RunDirectory, options: LaunchOptions) -> None:
    """Keep the plain progress lines the terminal would have shown, in the run directory,
    after a first line that says why they are there (and, for a paused run, which would
    otherwise log nothing for as long as it waits, how to resume it)."""
    log = (run.path / CONSOLE_LOG).open("a", encoding="utf-8")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    log.write(f"{stamp}  {hangup_note(read_status(run.path), run.path.name)}\n")
    log.flush()
    trainer.subscribe(HeadlessPrinter(log, every_s=options.log_every))


class _ExitWatchdog:
    """The last resort against a hang: once the run has ended, the user interface gets a grace
    period to close; if it does not (a terminal library wedged on a dead terminal), the process
    exits anyway. By then every event is flushed, the checkpoint fsynced, the status written."""

    GRACE_S = 15.0

    def __init__(self, exit_code: Callable[[], int], closing: Callable[[], bool]) -> None:
        self.exit_code = exit_code
        self.closing = closing  # whether the interface was asked to close (else it stays open)
        self.ui_closed = threading.Event()

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, (ev.Finished, ev.Failed)) and self.closing():
            threading.Thread(target=self._guard, name="tuitrain-exit-guard", daemon=True).start()

    def _guard(self) -> None:
        if not self.ui_closed.wait(self.GRACE_S):
            os._exit(self.exit_code())


class _TrainingBegun:
    """A consumer that notes the first step of training."""

    def __init__(self) -> None:
        self.begun = False

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.begun = True

    def __bool__(self) -> bool:
        return self.begun
