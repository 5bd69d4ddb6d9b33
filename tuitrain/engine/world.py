"""Rank awareness: the one place where the training loop knows it may not be alone.

Today every run is one process (`SingleProcess`, which changes nothing). A run under torchrun
(DistributedDataParallel, one process per GPU) plugs in here with its own `World`, passed as
`Trainer(..., world=...)`; nothing else in the loop needs to learn about ranks. The seams:

- `exchange_commands(step, local)`: called by the command handler at every step boundary with
  the commands taken off this process's queue (usually none); returns the commands every rank
  applies, in order. A distributed world keeps this off the per-step path: it exchanges on a
  CPU (gloo) side group only every K steps, decided by `step` so that every rank agrees, and
  returns [] in between. While a run is paused the handler blocks on the local queue before
  calling it again; a distributed world that allows pausing must make the other ranks wait in
  the same exchange.
- `commands_mid_validation`: whether commands may also apply between validation batches (the
  handler reads only the local queue there, so a distributed world answers False).
- `report_due(step, due_here)`: after each step, whether a progress report goes out now;
  `due_here` is this process's own verdict (report.seconds by its clock, report.steps). Every
  rank must answer alike, since a report reduces across ranks: a distributed world takes rank
  0's verdict, carried in its step-boundary exchange, and answers True at the step after it.
- `reduce_reading(reading)`: called only where the loop reads its meter back anyway (a step
  report, an epoch's end, a validation), never per step; a distributed world all-reduces the
  sums and counts (and ORs `nonfinite`, so that every rank takes the same roll-back).
- `hold_wait_s`: how long a paused run waits on its local queue before exchanging again
  (None: until a command comes); a distributed rank 0 wakes often, so that no rank waits in a
  collective long enough to time out, however long the pause.
- `shard` and `prepare_model(setup, preset)`: this rank's share of the data, and the wrapping
  of the model for data-parallel training (DistributedDataParallel), done once at setup.
- `each_rank(value)`: at a report, every rank's device memory (a collective only on CUDA,
  and only at the step every rank reports).
- `explain(exc)`: the exception a run ends with, said plainly (a collective that failed
  because another rank died reads as that, not as a C++ error text).
- `rank`, `world_size`, `is_primary`: rank 0 alone writes the run directory and feeds the
  consumers (headless printer, monitor, run log); the others train silently.

`tuitrain.distributed.world.RankWorld` is the world of a rank of several; its
`ControlExchange` does what the first and third need in one gloo exchange (rank 0's
commands, the other ranks' signals, rank 0's report verdict).
Nothing here is per step apart from two calls that return at once, so the loop keeps making
no host-device sync between reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tuitrain.data.shard import WHOLE, Shard
from tuitrain.engine import commands as cmd
from tuitrain.engine.meter import Reading

if TYPE_CHECKING:
    from tuitrain.config.preset import Preset
    from tuitrain.engine.setup import Setup


class World(Protocol):
    """The processes taking part in one run."""

    @property
    def rank(self) -> int: ...

    @property
    def world_size(self) -> int: ...

    @property
    def is_primary(self) -> bool: ...

    @property
    def commands_mid_validation(self) -> bool: ...

    def exchange_commands(self, step: int, local: list[cmd.Command]) -> list[cmd.Command]: ...

    def report_due(self, step: int, due_here: bool) -> bool: ...

    def reduce_reading(self, reading: Reading) -> Reading: ...

    @property
    def hold_wait_s(self) -> float | None: ...

    @property
    def shard(self) -> Shard: ...

    def prepare_model(self, setup: Setup, preset: Preset) -> None: ...

    def explain(self, exc: Exception) -> Exception: ...

    def each_rank(self, value: float | None) -> tuple[float, ...]:
        """Every rank's `value` (its device memory, at a report), by rank: () alone, or
        where there is none (on the CPU)."""
        ...


class SingleProcess:
    """A run of one process: its own commands apply as they come, its readings are the run's."""

    rank = 0
    world_size = 1
    is_primary = True
    commands_mid_validation = True
    hold_wait_s = None
    shard = WHOLE

    def exchange_commands(self, step: int, local: list[cmd.Command]) -> list[cmd.Command]:
        return local

    def report_due(self, step: int, due_here: bool) -> bool:
        return due_here

    def reduce_reading(self, reading: Reading) -> Reading:
        return reading

    def prepare_model(self, setup: Setup, preset: Preset) -> None:
        del setup, preset  # one process trains the model as built

    def explain(self, exc: Exception) -> Exception:
        return exc

    def each_rank(self, value: float | None) -> tuple[float, ...]:
        del value  # the run's only rank: the report's own memory_mb says it
        return ()
