"""What a validation pass counts besides its loss, on the device, batch by batch.

A validation part sees the inputs, logits and labels of every validation batch and is read
back once, after the pass, with the pass's own loss and accuracy: the only transfer a
validation makes. The confusion matrix is one; the most confident mistakes, kept as pictures
(samples.SampleKeeper), are another.
"""

from __future__ import annotations

from typing import Protocol

import torch

from tuitrain.engine import events as ev


class ValidationPart(Protocol):
    def begin(self) -> None:
        """A validation pass starts: forget the previous one."""
        ...

    def add(self, inputs: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """One batch: the model's inputs, logits N x classes, int64 labels N. Must not read
        from the device."""
        ...

    def end(self, validated: ev.Validated) -> list[ev.Event]:
        """The pass is over (its loss already read back, so the device is idle): the events
        that report what this part counted."""
        ...


class ConfusionCounter:
    """matrix[true][predicted] over a validation pass, kept on the device as one int64 tensor."""

    def __init__(self, names: list[str], device: torch.device) -> None:
        self.names = list(names)
        self.num_classes = num_classes = len(names)
        self._counts = torch.zeros(num_classes * num_classes, dtype=torch.int64, device=device)

    def begin(self) -> None:
        self._counts.zero_()

    def add(self, inputs: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        with torch.no_grad():
            cells = labels * self.num_classes + logits.argmax(dim=1)
            self._counts += torch.bincount(cells, minlength=self.num_classes**2)

    def read(self) -> list[list[int]]:
        """One transfer: rows are true classes, columns predicted ones."""
        return self._counts.view(self.num_classes, self.num_classes).tolist()

    def end(self, validated: ev.Validated) -> list[ev.Event]:
        matrix = self.read()
        return [
            ev.ClassesCounted(
                step=validated.step,
                epoch=validated.epoch,
                names=self.names,
                matrix=matrix,
                acc=ev.class_accuracies(matrix),
            )
        ]
