"""Epoch and run progress: bars, step, throughput, elapsed time and the ETAs."""

from __future__ import annotations

from rich.text import Text

from tuitrain import words
from tuitrain.ui import glyphs
from tuitrain.ui.styles import FIT_STYLE
from tuitrain.ui.widgets.base import HistoryView, labelled


class ProgressPanel(HistoryView):
    def lines(self, width: int, height: int) -> list[Text]:
        h = self.history
        p, last = h.progress, h.last_epoch
        if p is not None and (last is None or p.epoch > last.epoch):
            epoch, fraction = p.epoch, (p.batch / p.batches if p.batches else 0.0)
            batch = f"{p.batch}/{p.batches}"
        else:
            epoch, fraction = (last.epoch, 1.0) if last else (0, 0.0)
            batch = "--"
        epochs = h.epochs or 0
        head = f"epoch {epoch}/{epochs or '?'} "
        step = h.step
        rate = p.images_per_s if p else (last.images_per_s if last else None)
        elapsed = p.elapsed_s if p else (last.elapsed_s if last else None)
        eta_run = p.eta_run_s if p else (last.eta_run_s if last else None)
        live = h.live
        steps = labelled("step", f"{step if step is not None else '--'}")
        full = steps + labelled(" · batch", batch)
        rows = [
            bar_line(head, fraction, width),
            full if full.cell_len <= width else steps + labelled(" ·", batch),
            labelled("img/s", words.rate(rate)),
            labelled("elapsed  ", words.duration(elapsed)),
            labelled("ETA epoch", words.duration(p.eta_epoch_s if p and live else None)),
            labelled("ETA run  ", words.duration(eta_run if live else None)),
        ]
        if epochs:
            done = 1.0 if not live and h.status == "finished" else (epoch - 1 + fraction) / epochs
            rows.append(bar_line("run ".ljust(len(head)), max(0.0, done), width))
        rows.append(self._fit())
        return rows

    def _fit(self) -> Text:
        fit, gap = self.history.fit
        if not fit:
            return labelled("fit", "known after epoch 1", "dim")
        word = "OK" if fit == "ok" else fit.upper()
        text = labelled("fit", word, FIT_STYLE.get(fit, "bold"))
        if gap is not None:
            text.append(f" gap {words.points(gap)}", style="dim")
        return text


def bar_line(head: str, fraction: float, width: int) -> Text:
    text = Text.assemble((head, "bold"))
    size = width - len(head) - 5
    if size >= 2:
        text.append(glyphs.bar(fraction, size), style="cyan")
        text.append(f" {100 * min(1.0, fraction):3.0f}%")
    return text
