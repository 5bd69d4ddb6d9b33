"""What a caller of tuitrain.fit() hands the engine instead of what a preset would build."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from tuitrain.data.sources import GivenDatasets


@dataclass(frozen=True)
class Supplied:
    model: nn.Module
    datasets: GivenDatasets
