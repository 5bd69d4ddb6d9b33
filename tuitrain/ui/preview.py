"""`tuitrain preview`: training images beside what the preset's augmentation makes of them."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static

from tuitrain.errors import UserError
from tuitrain.pictures.preview import PreviewData, PreviewRequest
from tuitrain.pictures.tiles import Tile
from tuitrain.ui.images import (
    NEEDS_COLOUR,
    ImageMode,
    Picture,
    detect_protocol,
    image_mode,
    tile_cells,
)


class PreviewApp(App[None]):
    TITLE = "tuitrain preview"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    #title { height: auto; max-height: 3; padding: 0 1; }
    #notice { height: auto; padding: 0 1; }
    #grid { height: 1fr; }
    .tiles { height: auto; width: auto; margin: 0 0 1 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "redraw", "new samples"),
        Binding("n", "next_class(1)", "next class"),
        Binding("p", "next_class(-1)", "prev class"),
        Binding("a", "toggle_augment", "augment on/off"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, data: PreviewData, request: PreviewRequest, name: str) -> None:
        detect_protocol()
        super().__init__()
        self.data, self.request, self.preset_name = data, request, name
        self.mode: ImageMode = "halfblock"

    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="notice", markup=False)
        yield VerticalScroll(id="grid")
        yield Footer()

    def on_mount(self) -> None:
        self.mode = image_mode(self.console.color_system)
        self.query_one("#notice", Static).update(NEEDS_COLOUR if self.mode == "text" else "")
        self.query_one("#notice", Static).display = self.mode == "text"
        self._show()

    def on_resize(self) -> None:
        if self.is_running:
            self._show()

    def action_redraw(self) -> None:
        self.request = replace(self.request, seed=self.request.seed + 1)
        self._show()

    def action_next_class(self, step: int) -> None:
        """Cycle: every class, then class 0, 1, ... and back to every class."""
        count = len(self.data.class_names)
        current = -1 if self.request.class_index is None else self.request.class_index
        following = (current + 1 + step) % (count + 1) - 1
        self.request = replace(self.request, class_index=None if following < 0 else following)
        self._show()

    def action_toggle_augment(self) -> None:
        self.request = replace(self.request, augment=not self.request.augment)
        self._show()

    def _show(self) -> None:
        try:
            grid = self.data.draw(self.request)
        except UserError as error:
            self.notify(str(error), severity="warning")
            return
        self.query_one("#title", Static).update(self._title())
        container = self.query_one("#grid", VerticalScroll)
        with self.batch_update():
            container.remove_children()
            container.mount_all(self._rows(grid))

    def _rows(self, grid: list[list[Tile]]) -> list[Horizontal]:
        per_row = max(len(row) for row in grid) if grid else 1
        image_width = grid[0][0].pixels.shape[1] if grid else 32
        cols, rows = tile_cells(self.size.width, per_row, image_width)
        return [
            Horizontal(*(Picture(tile, cols, rows, self.mode) for tile in row), classes="tiles")
            for row in grid
        ]

    def _title(self) -> str:
        request, data = self.request, self.data
        which = (
            "every class"
            if request.class_index is None
            else (f"class {data.class_names[request.class_index]}")
        )
        if not request.augment:
            augment = "augmentation off"
        elif data.augmentations:
            augment = "original, then augmented: " + ", ".join(data.augmentations)
        else:
            augment = "this preset has no augmentation"
        return f"{self.preset_name} · {which} · {augment} · sample {request.seed}"
