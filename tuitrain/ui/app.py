"""MonitorApp: the live monitor. Events come in through the link, keys go out as commands.

Threading: the link calls `emit` on its own thread. `emit` only appends to the Inbox and, at
most once until the UI catches up, posts an EventsWaiting message (post_message is safe from
any thread). The UI drains the inbox into the RunHistory and redraws on a timer, only when
something changed: text panels at monitor.refresh_hz, plots at most every monitor.plot_seconds
(at once for a new epoch, validation or LR change), both sparing while training on a CPU, where
the monitor's cycles are taken from training.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import ClassVar, TypeVar

from rich.console import Console
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widget import Widget

from tuitrain.config.train import MonitorSettings
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.exitcodes import INTERRUPTED, for_result
from tuitrain.ui.history import RunHistory
from tuitrain.ui.images import detect_protocol, image_mode
from tuitrain.ui.inbox import Inbox
from tuitrain.ui.keys import MONITOR_KEYS, KeyAction, bindings, normalize, read_keymap
from tuitrain.ui.link import RunLink
from tuitrain.ui.messages import Detach, EventsWaiting
from tuitrain.ui.screens import ConfirmQuit, HelpScreen
from tuitrain.ui.widgets.bars import FailureBanner, NoticeLine, StatusBar
from tuitrain.ui.widgets.base import HistoryView
from tuitrain.ui.widgets.event_log import EventLog
from tuitrain.ui.widgets.footer import KeyFooter
from tuitrain.ui.widgets.learning_rate import LrPanel
from tuitrain.ui.widgets.plots import CurvePlot, HistoryPlot
from tuitrain.ui.widgets.progress import ProgressPanel
from tuitrain.ui.widgets.run_info import RunPanel
from tuitrain.ui.widgets.trends import TrendsPanel

STOP_TIMEOUT_S = 10.0
"""How long `q` waits for the run to confirm it stopped before the monitor exits anyway."""


W = TypeVar("W", bound=Widget)


def titled(widget: W, title: str, subtitle: str = "") -> W:
    widget.border_title = title
    widget.border_subtitle = subtitle
    return widget


def sixteen_colour_terminal() -> bool:
    """Whether Textual will draw with the 16 standard colours (as Rich detects them)."""
    system = os.environ.get("TEXTUAL_COLOR_SYSTEM", "auto")
    if system != "auto":
        return system in ("standard", "windows")
    console = Console(file=io.StringIO(), force_terminal=True)
    return console.color_system in ("standard", "windows")


class MonitorApp(App[int]):
    """The live monitor on any RunLink. After `run()`, `exit_code` is the process status.

    Another mode adds keys by extending the table and binding only the new rows, e.g.
    `KEYS = (*MONITOR_KEYS, detach)`, `BINDINGS = bindings([detach])` and `action_detach`.
    """

    CSS_PATH = Path(__file__).with_name("monitor.tcss")  # absolute: subclasses live elsewhere
    TITLE = "tuitrain"
    ENABLE_COMMAND_PALETTE = False
    # Textual declares the breakpoints as instance variables, so no ClassVar here.
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-narrow"),
        (60, "-medium"),
        (76, "-full"),
        (110, "-wide"),
    ]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (22, "-normal"), (40, "-tall")]  # noqa: RUF012

    KEYS: ClassVar[tuple[KeyAction, ...]] = MONITOR_KEYS
    STOP_REASON: ClassVar[str] = "quit from the monitor"
    """The reason a stop asked with q gives, in the run's log and its end."""
    BINDINGS: ClassVar = [
        *bindings(MONITOR_KEYS),
        # Ctrl-C arrives as a key in the app's raw terminal: it quits like q, never copies.
        Binding("ctrl+c", "interrupt", show=False, priority=True),
    ]

    def __init__(
        self,
        link: RunLink,
        settings: MonitorSettings | None = None,
        title: str = "tuitrain",
        *,
        keymap: dict[str, str] | None = None,
        keys_path: Path | None = None,
        stop_timeout: float = STOP_TIMEOUT_S,
    ) -> None:
        # A 16-colour terminal (TERM=screen under tmux, a bare xterm) gets the terminal's own
        # palette; decided before App.__init__, which picks the NO_COLOR filter from it.
        self.sixteen_colours = sixteen_colour_terminal()
        detect_protocol()  # the terminal's image protocol can only be asked before the app runs
        super().__init__(ansi_color=True if self.sixteen_colours else None)
        self.link = link
        self.settings = settings or MonitorSettings()
        self.title = title
        self.stop_timeout = stop_timeout
        self.history = RunHistory()
        self.inbox = Inbox(lambda: self.post_message(EventsWaiting()))
        problems: list[str] = []
        if keymap is None:
            keymap, problems = read_keymap(self.KEYS, keys_path)
        self.keymap = keymap
        self.key_problems = problems
        self.outcome: ev.Finished | ev.Failed | None = None
        self._drawn = -1
        self.redraws = 0
        """How often the panels were redrawn (they are only when the history changed)."""
        self._stopping = False
        self.interrupted = False
        """Whether the user quit with Ctrl-C: the run ends 'interrupted' and the process 130,
        as Ctrl-C ends any command line program, where q ends it 'stopped' and 0."""
        self._closed = False
        self._timer: Timer | None = None
        self._device: str | None = None
        self.plot_seconds = self.settings.redraw_rates(None)[1]

    # Layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        h = self.history
        yield StatusBar(h, self.link.label, lambda: not self.link.can_control, id="status")
        yield FailureBanner(id="failure")
        with Horizontal(id="charts"):
            yield titled(CurvePlot(h, "loss", id="loss-plot"), f"Loss  {CurvePlot.LEGEND}", "epoch")
            yield titled(
                CurvePlot(h, "acc", id="acc-plot"), f"Accuracy %  {CurvePlot.LEGEND}", "epoch"
            )
        yield titled(TrendsPanel(h, id="trends"), "Trends")
        with Horizontal(id="middle"):
            yield titled(ProgressPanel(h, id="progress"), "Progress")
            yield titled(LrPanel(h, id="lr"), "Learning rate")
            yield titled(RunPanel(h, id="run"), "Run")
        with titled(Vertical(id="events-box"), "Events"):
            yield EventLog(h, id="events")
        yield NoticeLine(h, id="notice")
        # A viewer that can never steer the run does not offer the keys that would.
        steering = {action.name for action in self.KEYS if action.steers}
        yield KeyFooter(self.KEYS, hide=() if self.link.can_control else steering)

    def on_mount(self) -> None:
        if self.sixteen_colours:
            self.theme = "ansi-dark"
        if self.keymap:
            self.set_keymap(self.keymap)
        for problem in self.key_problems:
            self.history.say("warning", problem)
            self.notify(problem, title="a key setting was ignored", severity="warning", timeout=15)
        self._pace()
        try:
            self.link.start(self.emit)
        except Exception as exc:  # a run directory gone, a socket refused: say so, keep the UI
            self.history.say("error", f"cannot follow {self.link.label}: {exc}")
        self._redraw()

    # Events in --------------------------------------------------------------------------

    def emit(self, event: ev.Event) -> None:
        """Called by the link on its own thread; never blocks the trainer."""
        self.inbox.put(event)

    def on_events_waiting(self, _message: EventsWaiting) -> None:
        self._drain()

    def _drain(self) -> None:
        waiting = len(self.history.pending)
        events = self.inbox.drain()
        for event in events:
            self.history.ingest(event)
            if isinstance(event, (ev.Finished, ev.Failed)):
                self.outcome = event
        self.history.dropped = self.inbox.dropped
        if self.outcome is not None and (self._stopping or self._interrupted_here()):
            self._finish()
            return
        self._pace()  # the run's device, once known, sets the redraw rates
        if len(self.history.pending) < waiting:
            self._redraw()  # the engine answered a key: show it now, not at the next tick

    def _interrupted_here(self) -> bool:
        """A signal stopped the run this monitor owns: the process is ending, so is the app."""
        outcome = self.outcome
        return (
            self.link.owns_run
            and isinstance(outcome, ev.Finished)
            and (outcome.status == "interrupted")
        )

    def on_detach(self, _message: Detach) -> None:
        """Close the monitor and leave the run going (the terminal went away)."""
        self._finish()

    def _pace(self) -> None:
        """(Re)start the redraw timer at the rates for the run's device, once it is known."""
        device = self.history.started.device if self.history.started else None
        if device == self._device and self._timer is not None:
            return
        self._device = device
        hz, self.plot_seconds = self.settings.redraw_rates(device)
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(1 / min(10.0, hz), self._tick)

    def _tick(self) -> None:
        self._drain()
        if self.history.version != self._drawn:
            self._redraw()

    def _redraw(self) -> None:
        # Panels are looked up, not assumed: during start-up and shut-down some are not
        # mounted, and a timer tick may fall in between.
        self._drawn = self.history.version
        self.redraws += 1
        with self.batch_update():
            for view in self.query(HistoryView):
                view.show()
            for plot in self.query(HistoryPlot):
                plot.show(self.plot_seconds)
            for panel in self.query(LrPanel):
                panel.show()
            for footer in self.query(KeyFooter):  # p resumes a paused run: say so
                footer.relabel("pause", "resume" if self.history.status == "paused" else None)
            failed = self.outcome if isinstance(self.outcome, ev.Failed) else None
            for banner in self.query(FailureBanner):
                banner.show_failure(failed)

    # Keys out ---------------------------------------------------------------------------

    def _steer(self, command: cmd.Command, label: str) -> None:
        """Send a command and say so at once; the engine's answer confirms it later."""
        if not self.history.live:
            self.history.say("warning", f"{label} not sent: the run has ended")
        elif not self.link.can_control:
            self.history.say("warning", f"{label} not sent: read-only, {self.link.label}")
        else:
            self.history.request(command, label)
            try:
                self.link.submit(command)
            except Exception as exc:  # a closed socket, a stopped trainer
                self.history.pending.pop(command.id, None)
                self.history.say("error", f"{label}: could not send it: {exc}")
        self._redraw()

    def action_samples(self) -> None:
        """Toggle the Samples screen (the screen closes itself on the same key)."""
        from tuitrain.ui.samples import SamplesScreen

        if isinstance(self.screen, SamplesScreen):
            self.screen.dismiss(None)
            return
        mode = "text" if self.sixteen_colours else image_mode(self.console.color_system)
        key = self.keymap.get("samples", "i")
        self.push_screen(SamplesScreen(self.history, mode, key))

    def action_layers(self) -> None:
        """Toggle the Layers screen."""
        from tuitrain.ui.layers_screen import LayersScreen

        if isinstance(self.screen, LayersScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(LayersScreen(self.history, self.keymap.get("layers", "y")))

    def action_classes(self) -> None:
        """Toggle the Classes screen."""
        from tuitrain.ui.classes_screen import ClassesScreen

        if isinstance(self.screen, ClassesScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(ClassesScreen(self.history, self.keymap.get("classes", "c")))

    def action_pause(self) -> None:
        pending = [
            r.command
            for r in self.history.pending.values()
            if isinstance(r.command, (cmd.Pause, cmd.Resume))
        ]
        paused = isinstance(pending[-1], cmd.Pause) if pending else self.history.status == "paused"
        if paused:
            self._steer(cmd.Resume(source="key"), "resume")
        else:
            self._steer(cmd.Pause(source="key"), "pause")

    def action_lower_lr(self) -> None:
        factor = self.settings.lr_factor
        self._steer(cmd.ScaleLR(factor, source="key"), f"LR ×{factor:g}")

    def action_raise_lr(self) -> None:
        factor = 1 / self.settings.lr_factor
        self._steer(cmd.ScaleLR(factor, source="key"), f"LR ×{factor:g}")

    def action_checkpoint(self) -> None:
        self._steer(cmd.Checkpoint(source="key"), "checkpoint")

    def action_validate(self) -> None:
        self._steer(cmd.Validate(source="key"), "validate")

    def action_log_older(self) -> None:
        for log in self.query(EventLog):
            log.scroll_lines(log.page())

    def action_log_newer(self) -> None:
        for log in self.query(EventLog):
            log.scroll_lines(-log.page())

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        keys = {a.name: self.keymap.get(a.name, normalize(a.key)) for a in self.KEYS}
        notes = [] if self.link.can_control else [f"read-only: {self.link.label}"]
        self.push_screen(HelpScreen(self.KEYS, keys, notes))

    # Quitting ---------------------------------------------------------------------------

    async def action_interrupt(self) -> None:
        self.interrupted = True
        await self.action_quit()

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmQuit):
            self.screen.dismiss(True)
            return
        if self._stopping:
            self._finish()  # asked twice: leave now rather than wait
            return
        if not (self.link.owns_run and self.link.can_control and self.history.live):
            self._finish()
            return
        if self.settings.confirm_quit:
            self.push_screen(ConfirmQuit(), self._confirmed)
        else:
            self._stop_run()

    def _confirmed(self, answer: bool | None) -> None:
        if answer:
            self._stop_run()
        else:
            self.interrupted = False
            self.history.say("info", "quit cancelled; training goes on")
            self._redraw()

    @property
    def stop_sent(self) -> bool:
        """Whether the user's quit has already asked the run to stop."""
        return self._stopping

    def _stop_run(self) -> None:
        self._stopping = True
        command = (
            cmd.Stop(source="key", status="interrupted", reason="Ctrl-C in the monitor")
            if self.interrupted
            else cmd.Stop(source="key", reason=self.STOP_REASON)
        )
        self._steer(command, "stop")
        self.history.say("request", "stopping: saving a checkpoint, then quitting… (q: now)")
        self.set_timer(self.stop_timeout, self._stop_timed_out)
        self._drain()

    def _stop_timed_out(self) -> None:
        if not self._closed:
            self.history.say("warning", "the run did not confirm the stop in time")
            self._finish()

    def _finish(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.link.close()
        code = self.exit_code
        self.exit(code, return_code=code)

    @property
    def exit_code(self) -> int:
        """What the process should exit with: non-zero when a run this monitor owns failed.
        A monitor that only watches (view, attach) succeeded whatever the run did."""
        if self.return_code is not None:
            return self.return_code
        if not self.link.owns_run:
            return 0
        return for_result(self.outcome, INTERRUPTED if self.interrupted else None)
