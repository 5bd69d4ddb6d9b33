"""Pictures a run keeps of itself: its most confident validation mistakes, its last batch.

`SampleKeeper` is the part of the run that does this; `MistakeCollector` and
`batch_pictures` are its tools. Mistakes are gathered on the device while the validation
that runs anyway goes through its batches: per batch, the k most confident wrong predictions
are picked with `topk` and merged with the k kept so far (no boolean indexing, which would
wait for the device). Only `finish` reads anything back, once, after the validation's own
read of its loss and accuracy.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from tuitrain.engine import events as ev
from tuitrain.pictures.tiles import Pictures

MISTAKES_KEPT = 16
BATCH_SHOWN = 16


class Unnormalize:
    """Model inputs back to displayable uint8 pixels (channels repeated up to three)."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...], device: torch.device):
        shape = (1, len(mean), 1, 1)
        self._mean = torch.tensor(mean, dtype=torch.float32, device=device).view(shape)
        self._std = torch.tensor(std, dtype=torch.float32, device=device).view(shape)

    def __call__(self, x: Tensor) -> np.ndarray:
        pixels = (x.float() * self._std + self._mean).clamp_(0, 1).mul_(255).round_()
        hwc = pixels.to(torch.uint8).permute(0, 2, 3, 1).contiguous().cpu().numpy()
        return np.repeat(hwc, 3, axis=3) if hwc.shape[3] == 1 else hwc


class MistakeCollector:
    """The `keep` most confident wrong predictions of one validation, kept on the device."""

    def __init__(self, unnormalize: Unnormalize, keep: int = MISTAKES_KEPT) -> None:
        self.unnormalize, self.keep = unnormalize, keep
        self._scores: Tensor | None = None
        self._images: Tensor | None = None
        self._labels: Tensor | None = None
        self._predicted: Tensor | None = None
        self._wrong: Tensor | None = None

    def start(self) -> None:
        self._scores = self._images = self._labels = self._predicted = self._wrong = None

    def add(self, x: Tensor, logits: Tensor, y: Tensor) -> None:
        confidence, predicted = logits.detach().float().softmax(1).max(1)
        wrong = predicted != y
        # Right answers score -1, below any probability: topk never prefers them to a mistake.
        scores = torch.where(wrong, confidence, torch.full_like(confidence, -1.0))
        self._wrong = wrong.sum() if self._wrong is None else self._wrong + wrong.sum()
        top = scores.topk(min(self.keep, scores.shape[0])).indices
        candidates: tuple[torch.Tensor, ...] = (
            scores[top],
            x[top].detach().float(),
            y[top],
            predicted[top],
        )
        if self._scores is not None:
            assert self._images is not None and self._labels is not None
            assert self._predicted is not None
            kept = (self._scores, self._images, self._labels, self._predicted)
            candidates = tuple(
                torch.cat([old, new]) for old, new in zip(kept, candidates, strict=True)
            )
        best = candidates[0].topk(min(self.keep, candidates[0].shape[0])).indices
        self._scores, self._images, self._labels, self._predicted = (t[best] for t in candidates)

    def finish(self) -> Pictures | None:
        """The mistakes, most confident first (None when nothing was validated)."""
        if self._scores is None or self._images is None or self._wrong is None:
            return None
        assert self._labels is not None and self._predicted is not None
        real = self._scores >= 0
        count = int(real.sum())
        order = self._scores.argsort(descending=True)[:count]
        return Pictures(
            images=self.unnormalize(self._images[order]),
            labels=self._labels[order].tolist(),
            predicted=self._predicted[order].tolist(),
            confidence=self._scores[order].tolist(),
            total=int(self._wrong),
        )


def batch_pictures(x: Tensor, y: Tensor, unnormalize: Unnormalize) -> Pictures:
    """The first BATCH_SHOWN images of a training batch as the model saw them (augmented)."""
    x, y = x[:BATCH_SHOWN].detach(), y[:BATCH_SHOWN].detach()
    if y.ndim == 2:  # soft targets of mixup or cutmix: the two largest weights
        weights, classes = y.float().topk(min(2, y.shape[1]), dim=1)
        second = classes[:, 1] if classes.shape[1] > 1 else torch.full_like(classes[:, 0], -1)
        second = torch.where(weights[:, -1] > 0.005, second, torch.full_like(second, -1))
        labels, predicted, confidence = classes[:, 0], second, weights[:, 0]
    else:
        labels, predicted = y, torch.full_like(y, -1)
        confidence = torch.ones(y.shape[0], device=y.device)
    return Pictures(
        images=unnormalize(x),
        labels=labels.tolist(),
        predicted=predicted.tolist(),
        confidence=confidence.float().tolist(),
        total=int(x.shape[0]),
    )


class SampleSink(Protocol):
    """Where pictures go (a run directory). Returns the saved file's path, relative to it."""

    def save_samples(self, kind: str, pictures: Pictures, class_names: list[str]) -> str: ...


class SampleKeeper:
    """The run's part that keeps pictures of it: the last training batch (a reference, no
    copy), and during each validation its most confident mistakes; both saved after it."""

    def __init__(
        self,
        sink: SampleSink | None,
        unnormalize: Unnormalize,
        class_names: list[str],
    ) -> None:
        self.sink, self.unnormalize, self.class_names = sink, unnormalize, class_names
        self.mistakes = MistakeCollector(unnormalize)
        self._batch: tuple[Tensor, Tensor] | None = None
        self._failed = False

    @property
    def active(self) -> bool:
        return self.sink is not None and not self._failed

    def saw_batch(self, x: Tensor, y: Tensor) -> None:
        if self.active:
            self._batch = (x, y)

    # A validation part (confusion.ValidationPart): begin, add each batch, end.

    def begin(self) -> None:
        self.mistakes.start()

    def add(self, inputs: Tensor, logits: Tensor, labels: Tensor) -> None:
        if self.active:
            self.mistakes.add(inputs, logits, labels)

    def end(self, validated: ev.Validated) -> list[ev.Event]:
        """Save what was kept; events announce each file (a failed write warns, once)."""
        if not self.active or self.sink is None:
            return []
        step, epoch = validated.step, validated.epoch
        kept: list[tuple[str, Pictures]] = []
        if (mistakes := self.mistakes.finish()) is not None:
            kept.append(("val_mistakes", mistakes))
        if self._batch is not None:
            kept.append(("train_batch", batch_pictures(*self._batch, self.unnormalize)))
        events: list[ev.Event] = []
        for kind, pictures in kept:
            try:
                path = self.sink.save_samples(kind, pictures, self.class_names)
            except OSError as error:
                self._failed = True
                message = f"could not save sample pictures ({error}); training goes on without"
                return [*events, ev.Warned(category="samples", message=message, step=step)]
            shown = len(pictures.labels)
            events.append(ev.SamplesSaved(kind, path, step, epoch, shown, pictures.total))
        return events
