"""Loss and accuracy sums kept on the device, read back only when a report goes out.

Reading a GPU tensor from the host waits for all queued work; doing it every step throws away
the overlap between Python and the GPU. So each step only adds to device tensors, and `read`
brings back every number in one transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass(frozen=True)
class Reading:
    loss_sum: float
    correct: float
    count: int
    nonfinite: bool

    @property
    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else float("nan")

    @property
    def acc(self) -> float:
        return self.correct / self.count if self.count else float("nan")


class Meter:
    def __init__(self, device: torch.device) -> None:
        # loss sum, correct predictions, non-finite losses; the count is known on the host.
        self._sums = torch.zeros(3, dtype=torch.float64, device=device)
        self._count = 0

    def add(self, loss: torch.Tensor, logits: torch.Tensor, targets: torch.Tensor) -> None:
        """Accumulate one batch: loss is the batch mean; targets are indices or soft labels."""
        with torch.no_grad():
            labels = targets.argmax(1) if targets.ndim == 2 else targets
            n = labels.shape[0]
            loss = loss.detach().double()
            self._sums[0] += loss * n
            self._sums[1] += (logits.argmax(1) == labels).sum()
            self._sums[2] += (~torch.isfinite(loss)).double()
            self._count += n

    def read(self) -> Reading:
        """One host-device transfer; the only sync this class makes."""
        loss_sum, correct, bad = self._sums.tolist()
        return Reading(loss_sum=loss_sum, correct=correct, count=self._count, nonfinite=bad > 0)

    def reset(self) -> None:
        self._sums.zero_()
        self._count = 0

    def state(self) -> dict[str, Any]:
        return {"sums": self._sums.detach().cpu().clone(), "count": self._count}

    def load(self, state: dict[str, Any]) -> None:
        sums = state["sums"]
        assert isinstance(sums, torch.Tensor)
        self._sums.copy_(sums.to(self._sums.device))
        self._count = int(state["count"])
