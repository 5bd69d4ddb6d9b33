"""The monitor of a study: the run in progress with all its panels (attached to its process,
so the keys steer it), and a study view (`t`) with every run's validation accuracy overlaid
and the results table and claim verdicts filling in as runs end."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from tuitrain.engine import events as ev
from tuitrain.runs.files import STATUS
from tuitrain.study.plan import Plan, PlannedRun, StudyDirectory
from tuitrain.study.results import RunResult, read_rows
from tuitrain.ui.app import MonitorApp
from tuitrain.ui.compare import COLORS, MARKS
from tuitrain.ui.history import RunHistory
from tuitrain.ui.inbox import Inbox
from tuitrain.ui.keys import MONITOR_KEYS, KeyAction, bindings
from tuitrain.ui.messages import EventsWaiting
from tuitrain.ui.widgets.plots import MIN_HEIGHT, MIN_WIDTH, epoch_ticks

STUDY_VIEW = KeyAction(
    "study_view", "t", "study", "switch between the run and the study's table", essential=True
)
StartRunner = Callable[["PostingListener", Callable[[], None]], Callable[[int], None]]
"""Starts the study's runner on a thread with a listener and an on-done call; returns stop."""
CONNECT_S = 120.0
"""How long a run may take to open its control channel (it imports torch, builds its data)."""


class NoRunYet:
    """The link before the study's first run is up: nothing to show or steer yet."""

    can_control = False
    owns_run = False
    label = "waiting for the study's first run"

    def start(self, emit: Callable[[ev.Event], None]) -> None:
        del emit

    def submit(self, command: object) -> None:
        raise RuntimeError("no run is up yet")

    def close(self) -> None:
        pass


class RunDirKnown(Message):
    def __init__(self, run: PlannedRun, path: Path) -> None:
        super().__init__()
        self.run, self.path = run, path


class RunEnded(Message):
    def __init__(self, run: PlannedRun, result: RunResult, done: int, total: int) -> None:
        super().__init__()
        self.run, self.result, self.done, self.total = run, result, done, total


class LinkReady(Message):
    def __init__(self, run: PlannedRun, link: object) -> None:
        super().__init__()
        self.run, self.link = run, link


class StudyDone(Message):
    pass


class PostingListener:
    """The runner's Listener: every call becomes a message to the app (thread-safe)."""

    def __init__(self, post: Callable[[Message], object], on_end: Callable[[], None]) -> None:
        self.post = post
        self.on_end = on_end

    def run_started(self, run: PlannedRun, run_dir: Path | None, resumed: bool) -> None:
        if run_dir is not None:  # a resumed run: its directory is known already
            self.post(RunDirKnown(run, run_dir))

    def run_dir_known(self, run: PlannedRun, run_dir: Path) -> None:
        self.post(RunDirKnown(run, run_dir))

    def run_ended(self, run: PlannedRun, result: RunResult, done: int, total: int) -> None:
        self.on_end()  # rewrites the results files, off the UI thread
        self.post(RunEnded(run, result, done, total))


class ConfirmStop(ModalScreen[bool]):
    BINDINGS: ClassVar = [
        Binding("y,enter,q,ctrl+c", "answer(True)", "stop the study", priority=True),
        Binding("n,escape", "answer(False)", "keep going", priority=True),
    ]

    def __init__(self, resume: str) -> None:
        super().__init__()
        self.resume = resume

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text("Stop the study?", style="bold"))
            yield Static(f"Running runs save a checkpoint and end; go on later with {self.resume}")
            yield Static(Text("y / q: stop    n / esc: keep going", style="bold"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class StudyCurves(PlotextPlot):
    """Validation accuracy per epoch of every run so far, one colour and mark per variant."""

    def __init__(self, variants: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.variants = variants
        self.curves: list[tuple[str, list[tuple[float, float]]]] = []

    def render(self) -> Text:
        width, height = self.size
        if width < MIN_WIDTH or height < MIN_HEIGHT:
            return Text("curves: need more room", style="dim")
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        hi = 1.0
        for variant, points in self.curves:
            if not points:
                continue
            index = self.variants.index(variant) if variant in self.variants else 0
            hi = max(hi, points[-1][0])
            plt.plot(
                [x for x, _ in points],
                [y * 100 for _, y in points],
                marker=MARKS[index % len(MARKS)],
                color=COLORS[index % len(COLORS)],
            )
        epoch_ticks(plt, hi, width)
        try:
            return super().render()  # type: ignore[return-value]
        except Exception:  # plotext raises on sizes it cannot lay out
            return Text("curves: cannot draw at this size", style="dim")


class StudyScreen(Screen[None]):
    """The study at a glance, refreshed every two seconds from the run directories."""

    BINDINGS: ClassVar = [Binding("escape", "app.study_view", show=False)]
    CSS = """
    StudyScreen { layout: vertical; }
    #study-head { height: auto; padding: 0 1; }
    #study-curves { height: 1fr; min-height: 8; border: round $primary 60%; }
    #study-table { height: auto; max-height: 14; }
    #study-claims { height: auto; max-height: 8; padding: 0 1; }
    #study-keys { height: 1; padding: 0 1; }
    """

    def __init__(self, study: StudyDirectory, plan: Plan, progress: Callable[[], str]) -> None:
        super().__init__()
        self.study, self.plan, self.progress = study, plan, progress

    def compose(self) -> ComposeResult:
        yield Static(id="study-head")
        yield StudyCurves(self.plan.variants, id="study-curves")
        yield DataTable(zebra_stripes=True, id="study-table")
        yield Static(id="study-claims")
        keys = "t: back to the run   q: stop the study   ?: help"
        yield Static(Text(keys, style="dim"), id="study-keys")

    def on_mount(self) -> None:
        curves = self.query_one(StudyCurves)
        curves.border_title = "validation accuracy %  (one colour per variant)"
        curves.border_subtitle = "epoch"
        self.show()
        self.set_interval(2.0, self.show)

    def show(self) -> None:
        from tuitrain.study.report import markdown_table
        from tuitrain.study.session import claims_of, current

        results, summaries, verdicts = current(self.study, self.plan)
        self.query_one("#study-head", Static).update(self._head())
        curves = self.query_one(StudyCurves)
        curves.curves = [(r.variant, self._points(r)) for r in results if r.run_dir]
        curves.refresh()
        self._fill(markdown_table(summaries, self.plan.target_acc))
        lines = [str(verdict) for verdict in verdicts] if claims_of(self.plan) else []
        self.query_one("#study-claims", Static).update("\n".join(lines))

    def _head(self) -> Text:
        text = Text(f"study {self.plan.study}  ", style="bold")
        text.append(self.progress())
        legend = Text("\n")
        for index, variant in enumerate(self.plan.variants):
            legend.append(f"{MARKS[index % len(MARKS)]} {variant}  ", COLORS[index % len(COLORS)])
        return text + legend

    def _points(self, result: RunResult) -> list[tuple[float, float]]:
        rows = read_rows(self.study.path / result.run_dir)
        points = [(row.get("epoch"), row.get("val_acc")) for row in rows]
        return [(epoch, acc) for epoch, acc in points if epoch is not None and acc is not None]

    def _fill(self, markdown: str) -> None:
        rows = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in markdown.splitlines()
            if not line.startswith("|---")
        ]
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*rows[0])
        for row in rows[1:]:
            table.add_row(*row)


class StudyApp(MonitorApp):
    """The monitor following one run of the study after another."""

    KEYS: ClassVar[tuple[KeyAction, ...]] = (*MONITOR_KEYS, STUDY_VIEW)
    BINDINGS: ClassVar = [*MonitorApp.BINDINGS, *bindings([STUDY_VIEW])]

    def __init__(self, study: StudyDirectory, plan: Plan, start_runner: StartRunner) -> None:
        super().__init__(NoRunYet(), title=f"tuitrain study {plan.study}")
        self.study, self.plan = study, plan
        self.start_runner = start_runner
        """Called on mount with a Listener; runs the study on a thread, returns a stop()."""
        self.stop_study: Callable[[int], None] | None = None
        self.done, self.total = 0, len(plan.runs)
        self.following: PlannedRun | None = None
        self.study_over = False
        self.stop_asked = False
        self._recompose_later = False

    def on_mount(self) -> None:
        super().on_mount()
        from tuitrain.study.session import outcome

        def write_results() -> None:
            outcome(self.study, self.plan)

        def done() -> None:
            self.post_message(StudyDone())

        listener = PostingListener(self.post_message, write_results)
        self.stop_study = self.start_runner(listener, done)

    def progress(self) -> str:
        running = f", following {self.following.id}" if self.following else ""
        state = "stopping" if self.stop_asked else ("done" if self.study_over else "running")
        return f"{self.done}/{self.total} runs done{running} · {state} · {self.study.path}"

    # Following runs ------------------------------------------------------------------

    def on_run_dir_known(self, message: RunDirKnown) -> None:
        threading.Thread(
            target=self._connect, args=(message.run, message.path), daemon=True
        ).start()

    def _connect(self, run: PlannedRun, path: Path) -> None:
        """Attach to the run once its control channel is up (off the UI thread)."""
        from tuitrain.control.attach import AttachLink
        from tuitrain.control.errors import ControlError
        from tuitrain.runs.status import read_status

        def written() -> float | None:
            try:
                return (path / STATUS).stat().st_mtime
            except OSError:
                return None

        before = written()  # a resumed run's status says how it ended last time
        deadline = time.monotonic() + CONNECT_S
        while time.monotonic() < deadline and not self.stop_asked:
            status = read_status(path).get("status")
            if status in ("running", "paused"):
                try:
                    self.post_message(LinkReady(run, AttachLink.open(path)))
                    return
                except ControlError:
                    pass
            elif status != "starting" and written() not in (None, before):
                return  # it ended before it could be attached to
            time.sleep(0.5)

    async def on_link_ready(self, message: LinkReady) -> None:
        self.link.close()
        self.link = message.link  # type: ignore[assignment]
        position = self.plan.runs.index(message.run) + 1 if message.run in self.plan.runs else 0
        where = f"study {self.plan.study}, run {position}/{self.total}"
        self.link.label = f"{where} · {self.link.label}"  # the status bar shows it
        self.following = message.run
        self.history = RunHistory()
        self.outcome = None
        inbox = Inbox(lambda: self.post_message(EventsWaiting()))
        self.inbox = inbox
        if isinstance(self.screen, StudyScreen):
            self._recompose_later = True
        else:
            await self.recompose()
        self.link.start(lambda event: inbox.put(event) if self.inbox is inbox else None)
        self._redraw()

    def on_run_ended(self, message: RunEnded) -> None:
        from tuitrain.study.headless import describe_result

        self.done = message.done
        text = f"[{message.done}/{message.total}] {message.run.id} {message.result.status}: "
        self.notify(text + describe_result(message.result), timeout=8)

    def on_study_done(self, _message: StudyDone) -> None:
        self.study_over = True
        if self.stop_asked:
            self._leave()
            return
        if not isinstance(self.screen, StudyScreen):
            self.push_screen(self._study_screen())

    def _leave(self) -> None:
        self.link.close()  # detach from the run followed; the study's own end is the runner's
        self.exit(0)

    # Keys ----------------------------------------------------------------------------

    def _study_screen(self) -> StudyScreen:
        return StudyScreen(self.study, self.plan, self.progress)

    async def action_study_view(self) -> None:
        if isinstance(self.screen, StudyScreen):
            self.pop_screen()
            if self._recompose_later:
                self._recompose_later = False
                await self.recompose()
                self._redraw()
        elif not isinstance(self.screen, ModalScreen):
            self.push_screen(self._study_screen())

    async def action_quit(self) -> None:
        if isinstance(self.screen, ConfirmStop):
            self.screen.dismiss(True)
            return
        if self.study_over or self.stop_asked:
            self._leave()
            return
        resume = f"tuitrain study --resume {self.study.path}"
        self.push_screen(ConfirmStop(resume), self._answered)

    def _answered(self, answer: bool | None) -> None:
        if not answer:
            self.interrupted = False
            return
        import signal

        self.stop_asked = True
        if self.stop_study is not None:
            self.stop_study(signal.SIGINT)
        self.notify("stopping: every running run saves a checkpoint…", timeout=30)
