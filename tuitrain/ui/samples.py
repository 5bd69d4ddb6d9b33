"""The Samples screen: the latest validation's most confident mistakes, the last training batch.

The run saves both in its directory after each validation (`samples/*.npz`, announced by a
`samples` event); this screen reads the files the history points at, so it works the same in
the local monitor, in attach and in view. It redraws only when a newer file was announced.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from tuitrain.engine import events as ev
from tuitrain.pictures.tiles import Tile
from tuitrain.runs.samples import TRAIN_BATCH, VAL_MISTAKES, read_samples, tiles
from tuitrain.ui.history import RunHistory
from tuitrain.ui.images import NEEDS_COLOUR, ImageMode, Picture, tile_cells
from tuitrain.ui.run_screen import RunScreen

TILE_TARGET = 18
"""About how many columns one picture and its gap take: the row holds as many as fit."""


class SamplesScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i,escape", "close", "close samples"),
    ]
    DEFAULT_CSS = """
    SamplesScreen .heading { height: auto; padding: 0 1; text-style: bold; }
    SamplesScreen .tiles { height: auto; width: auto; margin: 0 0 1 1; }
    """

    def __init__(self, history: RunHistory, mode: ImageMode, key_hint: str = "i") -> None:
        super().__init__(history, key_hint)
        self.mode = mode

    def note(self) -> str:
        return (
            f"Samples · captions: true → predicted class, confidence · {self.key_hint} or esc "
            "returns to the curves"
        )

    def state(self) -> object:
        return self._latest()

    def draw(self, body: VerticalScroll) -> None:
        mistakes, batch = self._latest()
        with self.app.batch_update():
            body.remove_children()
            body.mount_all(self._section(mistakes, VAL_MISTAKES))
            body.mount_all(self._section(batch, TRAIN_BATCH))

    def _latest(self) -> tuple[ev.SamplesSaved | None, ev.SamplesSaved | None]:
        return self.history.samples.get(VAL_MISTAKES), self.history.samples.get(TRAIN_BATCH)

    def _section(self, saved: ev.SamplesSaved | None, kind: str) -> list[Static | Horizontal]:
        if saved is None:
            waiting = "no validation yet: mistakes appear after the first one"
            return [Static(waiting if kind == VAL_MISTAKES else "", classes="note")]
        heading = _heading(saved)
        found = read_samples(self._run_dir() / saved.path)
        if found is None:
            return [Static(heading, classes="heading"), Static(f"cannot read {saved.path}")]
        shown = tiles(kind, *found)
        widgets: list[Static | Horizontal] = [Static(heading, classes="heading", markup=False)]
        if self.mode == "text":
            widgets.append(Static(NEEDS_COLOUR, classes="note", markup=False))
        widgets.extend(self._rows(shown))
        return widgets

    def _rows(self, shown: list[Tile]) -> list[Horizontal]:
        if not shown:
            return []
        per_row = max(1, (self.size.width - 2) // TILE_TARGET)
        cols, rows = tile_cells(self.size.width, per_row, shown[0].pixels.shape[1])
        return [
            Horizontal(
                *(Picture(t, cols, rows, self.mode) for t in shown[i : i + per_row]),
                classes="tiles",
            )
            for i in range(0, len(shown), per_row)
        ]

    def _run_dir(self) -> Path:
        started = self.history.started
        return Path(started.run_dir) if started and started.run_dir else Path(".")


def _heading(saved: ev.SamplesSaved) -> str:
    if saved.kind == VAL_MISTAKES:
        if saved.total == 0:
            return f"Validation at step {saved.step}: no mistakes"
        return (
            f"Validation mistakes, step {saved.step} (epoch {saved.epoch:g}): "
            f"{saved.shown} of {saved.total}, most confident first"
        )
    return f"Last training batch at step {saved.step}, augmented as the model saw it"
