"""What this run is made of: optimizer, schedule, model and its normalization, data and input
normalization, augmentations, and where it is saved."""

from __future__ import annotations

from rich.text import Text

from tuitrain.runs.listing import count
from tuitrain.ui import describe, glyphs
from tuitrain.ui.widgets.base import HistoryView, labelled


class RunPanel(HistoryView):
    def lines(self, width: int, height: int) -> list[Text]:
        started = self.history.started
        if started is None:
            return [Text("waiting for the run to start…", style="dim")]
        rows = [
            labelled(label, _with_size(label, text, started.parameters, width), "")
            if label
            else Text(text)
            for label, text in describe.summary(
                self.history.preset,
                started.world_size,
                lr=self.history.lr.value,
                scale=self.history.lr.scale,
            )
        ]
        rows += [Text(note) for note in started.model_notes]
        rows.append(
            labelled("size", f"{started.train_size:,} train · {started.val_size:,} val", "")
        )
        if started.run_dir:
            rows.append(labelled("dir", glyphs.tail(started.run_dir, width - 4), ""))
        return rows


def _with_size(label: str, text: str, parameters: int, width: int) -> str:
    """The model row ends with the parameter count where it fits: `torchvision resnet18 ·
    11.2M params`."""
    if label != "model" or not parameters:
        return text
    longer = f"{text} · {count(parameters)} params"
    return longer if len(label) + 1 + len(longer) <= width else text
