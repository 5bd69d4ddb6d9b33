"""The distributed world: what the training loop asks of its ranks, over torch.distributed.

The loop sees a `World` (tuitrain.engine.world); this is the one for several processes:

- commands: queued commands wait on each rank until the next exchange, every K steps (K is
  train.distributed.steer_every, so every rank knows the steps without asking); while paused,
  rank 0 exchanges at least every HOLD_POLL_S, so no rank waits in a collective for longer;
- reports: rank 0's reporter decides when one is due; the decision travels with the next
  exchange and every rank reports (and all-reduces its meter) at the step after it;
- readings: loss sums, correct counts, image counts and the non-finite flag are all-reduced,
  only where the loop reads its meter anyway;
- gradients: DistributedDataParallel, with a communication hook that weighs each rank's
  gradient by its share of the step's global batch, so a short last batch split unevenly still
  averages over its images exactly as one process would;
- checkpoints: every rank's RNG state is gathered to rank 0, which alone writes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
import torch.distributed as dist
from torch import nn

from tuitrain.data.seeding import derive_seed
from tuitrain.data.shard import Shard, global_batch_size
from tuitrain.distributed.exchange import ControlExchange
from tuitrain.distributed.faults import LOST_CONTACT, explain_runtime_error, summary_line
from tuitrain.distributed.group import Groups
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.loop_control import RunFailure
from tuitrain.engine.meter import Reading

if TYPE_CHECKING:
    from torch._C._distributed_c10d import Store

    from tuitrain.config.preset import Preset
    from tuitrain.engine.setup import Setup

HOLD_POLL_S = 0.5
"""While paused, rank 0 tells the others at least this often that the pause goes on."""
RANK_SEED = 5
"""Seed stream of each rank's own randomness (dropout): ranks must not draw the same masks."""


class RankWorld:
    """One rank of a data-parallel run (see the module docstring)."""

    commands_mid_validation = False  # each rank validates its own share, at its own pace

    def __init__(self, groups: Groups, *, steer_every: int) -> None:
        self.groups = groups
        self.placement = groups.placement
        self.steer_every = steer_every
        self.exchange = ControlExchange(groups.side, self.rank, self.world_size)
        self._pending: list[cmd.Command] = []
        self._last_exchange: int | None = None
        self._want_report = False
        self._report_next = False
        self._weight: _GradientWeight | None = None
        self.on_failure: Callable[[str, bool], None] | None = None
        """Told how this rank failed (and whether because another rank did first)."""

    @property
    def rank(self) -> int:
        return self.placement.rank

    @property
    def world_size(self) -> int:
        return self.placement.world_size

    @property
    def is_primary(self) -> bool:
        return self.placement.is_primary

    @property
    def shard(self) -> Shard:
        return Shard(self.rank, self.world_size)

    @property
    def hold_wait_s(self) -> float:
        """How long a paused rank waits for a local command before exchanging again: rank 0
        wakes every HOLD_POLL_S; the others wait in the exchange itself, for rank 0."""
        return HOLD_POLL_S if self.is_primary else 0.0

    def on_event(self, event: ev.Event) -> None:
        """A consumer of this rank's events: a failed run is reported to the launcher, and,
        when this rank failed first, to the other ranks (through the job's key-value store,
        which outlives this process), so that rank 0 can say which rank failed and why."""
        if not isinstance(event, ev.Failed):
            return
        consequence = event.message.startswith(LOST_CONTACT)
        if not consequence:
            with contextlib.suppress(Exception):  # the store may be gone with the job
                line = summary_line(event.message)
                self._store().set(_failure_key(self.rank), f"{self.placement.host}: {line}")
        if self.on_failure is not None:
            self.on_failure(event.message, consequence)

    def failed_peer(self) -> str | None:
        """`rank N on HOST: its error`, for a rank that said it failed; None when none did (one
        killed outright says nothing)."""
        store = self._store()
        for rank in range(self.world_size):
            if rank == self.rank:
                continue
            key = _failure_key(rank)
            with contextlib.suppress(Exception):
                if store.check([key]):
                    return f"rank {rank} on {store.get(key).decode()}"
        return None

    @staticmethod
    def _store() -> Store:
        return dist.distributed_c10d._get_default_store()

    def close(self) -> None:
        self.groups.close()

    # Commands and reports ---------------------------------------------------------------

    def exchange_commands(self, step: int, local: list[cmd.Command]) -> list[cmd.Command]:
        """Every rank calls this at every step boundary, with the same steps; it exchanges
        at multiples of K, and on every further call at the same step (the command handler
        calls again after applying commands, and keeps calling while paused)."""
        self._pending.extend(local)
        if self._weight is not None:
            self._weight.before_step(step)
        if step % self.steer_every and step != self._last_exchange:
            return []
        self._last_exchange = step
        outgoing, self._pending = self._pending, []
        want, self._want_report = self._want_report, False
        agreed = self._collective(lambda: self.exchange.exchange(outgoing, report_due=want))
        self._report_next = self._report_next or agreed.report_due
        return list(agreed.commands)

    def report_due(self, step: int, due_here: bool) -> bool:
        """Whether every rank reports after `step`: rank 0's verdict is remembered until the
        next exchange carries it; all ranks then report at the step after that."""
        if self.is_primary and due_here:
            self._want_report = True
        due, self._report_next = self._report_next, False
        return due

    def reduce_reading(self, reading: Reading) -> Reading:
        values = [reading.loss_sum, reading.correct, float(reading.count), float(reading.nonfinite)]
        total = torch.tensor(values, dtype=torch.float64, device=self.groups.device)
        self._collective(lambda: dist.all_reduce(total))
        loss_sum, correct, count, nonfinite = total.tolist()
        return Reading(loss_sum, correct, round(count), nonfinite > 0)

    def each_rank(self, value: float | None) -> tuple[float, ...]:
        """Every rank's value, by rank, over the gloo side group; () where there is none (the
        CPU has no device memory counter, and every rank trains on the same kind of device,
        so either all ranks gather or none)."""
        if value is None:
            return ()
        values = [torch.zeros(1, dtype=torch.float64) for _ in range(self.world_size)]
        mine = torch.tensor([value], dtype=torch.float64)
        self._collective(lambda: dist.all_gather(values, mine, group=self.groups.side))
        return tuple(float(v.item()) for v in values)

    # Model and gradients ----------------------------------------------------------------

    def prepare_model(self, setup: Setup, preset: Preset) -> None:
        """Wrap the model for data-parallel training: SyncBatchNorm when the preset asks,
        DistributedDataParallel (which makes every rank start from rank 0's weights), the
        batch-share gradient weight, and torch.compile of the wrapped model when asked."""
        from torch.nn.parallel import DistributedDataParallel

        torch.manual_seed(derive_seed(preset.train.seed, RANK_SEED, self.rank))
        model = setup.model
        if preset.model.sync_bn:
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        device = self.groups.device
        ids = [device.index] if device.type == "cuda" else None
        ddp = DistributedDataParallel(model, device_ids=ids)
        train = setup.data.train
        self._weight = _GradientWeight(
            self.shard,
            train_size=setup.data.train_size,
            batch_size=preset.data.batch_size,
            batches=train.batches_per_epoch,
        )
        ddp.register_comm_hook(None, self._weight.hook)
        train_forward: Callable[[torch.Tensor], torch.Tensor] = ddp
        if preset.train.compile:
            train_forward = torch.compile(ddp)
        setup.model = model
        setup.forward = _TrainOrEval(model, train_forward)

    # Checkpoints ------------------------------------------------------------------------

    def gather_rng(self, mine: dict[str, Any]) -> list[dict[str, Any]] | None:
        """Every rank's RNG state, on rank 0 (None elsewhere)."""
        gathered: list[Any] = [None] * self.world_size if self.is_primary else []
        self._collective(
            lambda: dist.gather_object(
                mine, gathered if self.is_primary else None, dst=0, group=self.groups.side
            )
        )
        return gathered if self.is_primary else None

    def broadcast(self, value: Any) -> Any:
        """rank 0's value, on every rank (small host-side things: a path, an error)."""
        box = [value if self.is_primary else None]
        self._collective(lambda: dist.broadcast_object_list(box, src=0, group=self.groups.side))
        return box[0]

    def explain(self, exc: Exception) -> Exception:
        """A failed collective (here, or DDP's inside backward) as a one-line run failure."""
        if isinstance(exc, RunFailure):
            return exc
        failure = explain_runtime_error(exc, self.groups.timeout_s)
        if failure is None:
            return exc
        culprit = self.failed_peer() if failure.message.startswith(LOST_CONTACT) else None
        if culprit is not None:
            return RunFailure("distributed", f"{LOST_CONTACT}: {culprit}")
        return RunFailure("distributed", str(failure))

    def _collective(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (RuntimeError, dist.DistError) as exc:
            explained = self.explain(exc)
            if explained is exc:
                raise
            raise explained from None


def _failure_key(rank: int) -> str:
    return f"tuitrain/failed/rank-{rank}"


class _TrainOrEval:
    """DDP's forward while training; the bare module while validating. Each rank validates
    its own share, a number of batches that may differ by one between ranks, and DDP's forward
    would broadcast buffers on each of them: a collective only some ranks would join."""

    def __init__(self, model: nn.Module, train_forward: Callable[[torch.Tensor], torch.Tensor]):
        self.model, self.train_forward = model, train_forward

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.train_forward(x) if self.model.training else self.model(x)


class _GradientWeight:
    """DDP communication hook: each rank's gradient (a mean over its images) is weighed by its
    share of the global batch before the sum, so the result is the mean over the global batch,
    also for a short last batch that does not divide evenly. For full batches the weight is
    exactly 1/N, as in DDP's own averaging."""

    def __init__(self, shard: Shard, *, train_size: int, batch_size: int, batches: int) -> None:
        self.shard, self.train_size, self.batch_size = shard, train_size, batch_size
        self.batches = batches
        self.weight = 1.0 / shard.count

    def before_step(self, done: int) -> None:
        """Set the weight for the step after `done` steps (every epoch has the same batches)."""
        size = global_batch_size(self.train_size, self.batch_size, done % self.batches)
        start, end = self.shard.bounds(size)
        self.weight = (end - start) / size if size else 0.0

    def hook(self, state, bucket):  # type: ignore[no-untyped-def]
        """(DDP checks the hook's annotations at run time, which postponed evaluation of
        annotations turns into strings: so it has none.)"""
        del state
        tensor = bucket.buffer()
        tensor.mul_(self.weight)
        work = dist.all_reduce(tensor, async_op=True)
        assert work is not None
        return work.get_future().then(lambda future: future.value()[0])


class RankCheckpoints:
    """The checkpoint sink of every rank: each rank's RNG state is gathered to rank 0, which
    alone writes (every rank saves at the same step, since they apply the same commands)."""

    def __init__(self, world: RankWorld, sink: Any | None) -> None:
        self.world, self.sink = world, sink

    def save(self, state: dict[str, Any], reason: str, *, best: bool = False) -> str:
        every_rng = self.world.gather_rng(state["rng"])
        if self.sink is None:
            return "(written by rank 0)"
        saved = {**state, "rng_ranks": every_rng, "world_size": self.world.world_size}
        return str(self.sink.save(saved, reason, best=best))


def rank_state(state: dict[str, Any], rank: int, world_size: int) -> dict[str, Any]:
    """A checkpoint as rank `rank` resumes it: with its own RNG state, when the checkpoint
    was written by as many ranks (otherwise rank 0's, and the run says it is not exact)."""
    every_rng = state.get("rng_ranks")
    if isinstance(every_rng, list) and len(every_rng) == world_size:
        return {**state, "rng": every_rng[rank]}
    return state
