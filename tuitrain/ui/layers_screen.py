"""The Layers screen: one row per conv and linear layer, the latest numbers of its health and a
strip of one statistic over the samples so far (`n` picks which), in depth order or worst first
(`w`). Drawn as plain text from the history's `layers` events: the same in the monitor, attach
and view."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType

from tuitrain.engine import events as ev
from tuitrain.layer_checks import diagnose
from tuitrain.ui.history import RunHistory
from tuitrain.ui.run_screen import RunScreen

STRIP_STATS = ("grad_norm", "update_ratio", "out_std", "dead", "weight_norm", "out_mean")
"""The statistics a row's strip can show, in the order `n` steps through them."""
BLOCKS = "▁▂▃▄▅▆▇█"
NAME_WIDTH = 16
HEALTHY_UPDATE = 1e-3


def _num(value: float | None, style: str = "g") -> str:
    if value is None or not math.isfinite(value):
        return "--"
    return f"{value:.2e}" if style == "e" else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "  --" if value is None else f"{value:4.0%}"


def strip(values: Sequence[float | None], width: int, log: bool) -> str:
    """The last `width` values as block characters, scaled between their min and max (in
    log10 when `log`); ' ' where a value is unknown."""
    shown = list(values)[-width:]
    usable = [_scale(v, log) for v in shown]
    known = [v for v in usable if v is not None]
    if not known:
        return " " * len(shown)
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(
        " " if v is None else BLOCKS[round((v - low) / span * (len(BLOCKS) - 1))] for v in usable
    )


def _scale(value: float | None, log: bool) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    if log:
        return math.log10(value) if value > 0 else None
    return value


def badness(reading: ev.LayerReading, flagged: set[str]) -> tuple[int, float]:
    """Sort key, worst first: layers with a warning now, then the furthest update ratio from
    the healthy ~1e-3 (an unknown ratio counts as furthest)."""
    ratio = reading.update_ratio
    known = ratio is not None and math.isfinite(ratio) and ratio > 0
    distance = abs(math.log10(ratio / HEALTHY_UPDATE)) if known else math.inf
    return (0 if reading.name in flagged else 1, -distance)


def layers_text(
    samples: Sequence[ev.LayersSampled], width: int, *, worst_first: bool, stat: str
) -> list[str]:
    """The screen's lines (at most `width` wide)."""
    if not samples:
        return ["no layer sample yet: the first comes after train.diagnose.layers_every steps"]
    latest = samples[-1]
    problems = diagnose(latest.layers)
    flagged = {layer for _, layer, _ in problems}
    rows = list(latest.layers)
    if worst_first:
        rows.sort(key=lambda r: badness(r, flagged))
    head = f"{'layer':<{NAME_WIDTH}} {'out std':>7} {'dead':>4} {'grad':>8} {'update':>8}  "
    strip_width = max(0, width - len(head) - 1)
    lines = [
        f"step {latest.step} · {len(samples)} samples · "
        f"{'worst first' if worst_first else 'input side first'} (w) · strip: {stat} (n)",
        head + f"{stat} over time"[:strip_width],
    ]
    history: dict[str, list[float | None]] = {r.name: [] for r in rows}
    for sample in samples:
        for r in sample.layers:
            if r.name in history:
                history[r.name].append(getattr(r, stat))
    log = stat in ("grad_norm", "update_ratio", "weight_norm", "out_std")
    for r in rows:
        name = r.name if len(r.name) <= NAME_WIDTH else "…" + r.name[-(NAME_WIDTH - 1) :]
        mark = "!" if r.name in flagged else " "
        cells = (
            f"{name:<{NAME_WIDTH}} {_num(r.out_std):>7} {_pct(r.dead)} "
            f"{_num(r.grad_norm, 'e'):>8} {_num(r.update_ratio, 'e'):>8} {mark}"
        )
        lines.append(cells + strip(history[r.name], strip_width, log))
    lines.extend(f"! {category.replace('_', ' ')}: {what}" for category, _, what in problems)
    return [line[:width] for line in lines]


class LayersScreen(RunScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,escape", "close", "close layers"),
        Binding("w", "worst", "worst first"),
        Binding("n", "next_stat", "next statistic"),
    ]

    def __init__(self, history: RunHistory, key_hint: str = "y") -> None:
        super().__init__(history, key_hint)
        self.worst_first, self.stat = False, STRIP_STATS[0]

    def note(self) -> str:
        return f"Layers · {self.key_hint} or esc returns to the curves"

    def action_worst(self) -> None:
        self.worst_first = not self.worst_first
        self.redraw()

    def action_next_stat(self) -> None:
        self.stat = STRIP_STATS[(STRIP_STATS.index(self.stat) + 1) % len(STRIP_STATS)]
        self.redraw()

    def state(self) -> object:
        samples = self.history.layers
        return (samples[-1] if samples else None, len(samples), self.worst_first, self.stat)

    def lines(self, width: int) -> list[str]:
        return layers_text(self.history.layers, width, worst_first=self.worst_first, stat=self.stat)
