"""Two gloo ranks training the tiny preset with the real trainer, against one process.

Each rank runs in a spawned process (tests/distributed/gloo.py) and trains through the same
Trainer, RankWorld and RankCheckpoints that `tuitrain run --devices 2` uses; only the launcher
and the command line are left out (tests/e2e/test_distributed.py has those).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import torch

from tests.conftest import tiny
from tests.distributed.gloo import on_ranks
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import ResumePoint, Trainer
from tuitrain.runs.checkpoint import load_checkpoint
from tuitrain.runs.rundir import RunDirectory

# No batch norm: each rank would normalize with its own half-batch's statistics (sync_bn is
# CUDA only), and the comparison with one process would then measure that, not the trainer.
# Augmentation, mixup included, is on: the ranks' shares unite to the single-process batch.
SECTIONS: dict[str, Any] = {
    "model": {"norm": "group", "groups": 4},
    "augment": {"crop": {"padding": 2}, "flip": {}, "mixup": {"alpha": 0.4}},
    "train": {"epochs": 2, "report": {"seconds": 0.01}, "distributed": {"steer_every": 2}},
}


def _preset(**changes: Any):  # type: ignore[no-untyped-def]
    return tiny(**SECTIONS, **changes)


def _weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in trainer.model_state().items()}


def _steps(events: list[ev.Event], kind: type) -> list[tuple[str, int]]:
    return [(type(e).__name__, e.step) for e in events if isinstance(e, kind)]  # type: ignore[attr-defined]


def _ranks_train(rank: int, runs: str) -> dict[str, Any]:
    from tuitrain.distributed.env import placement_from
    from tuitrain.distributed.group import open_groups, rank_device
    from tuitrain.distributed.world import RankCheckpoints, RankWorld, rank_state

    placement = placement_from()
    assert placement is not None
    world = RankWorld(
        open_groups(placement, rank_device(placement, "cpu"), timeout_s=60), steer_every=2
    )
    out: dict[str, Any] = {}

    def train(name: str, preset, *, on_event=None, resume: ResumePoint | None = None):  # type: ignore[no-untyped-def]
        run = RunDirectory(Path(runs) / name)
        run.path.mkdir(parents=True, exist_ok=True)
        sink = RankCheckpoints(world, run if rank == 0 else None)
        trainer = Trainer(preset, checkpoints=sink, world=world, resume=resume)
        events: list[ev.Event] = []
        trainer.subscribe(events.append)
        if on_event is not None:
            trainer.subscribe(lambda event: on_event(trainer, event))
        result = trainer.run()
        assert isinstance(result, ev.Finished), result
        return trainer, events, run

    # A: two epochs, uninterrupted (weights as numpy arrays: pickled by value on the way back)
    trainer, _, _ = train("a", _preset())
    out["a"] = {k: v.numpy() for k, v in _weights(trainer).items()}

    # B: rank 1 is asked to stop (as its SIGTERM handler would) in the middle of epoch 1
    def sigterm_on_rank_1(trainer: Trainer, event: ev.Event) -> None:
        asked = getattr(trainer, "_asked", False)
        if rank == 1 and isinstance(event, ev.StepProgress) and event.step >= 13 and not asked:
            trainer._asked = True  # type: ignore[attr-defined]
            trainer.submit(cmd.Stop(status="interrupted", reason="SIGTERM received"))

    _, events, run = train("b", _preset(), on_event=sigterm_on_rank_1)
    finished = events[-1]
    assert isinstance(finished, ev.Finished)
    out["b_end"] = (finished.status, finished.step, finished.reason)

    # C: every rank resumes B's checkpoint, with its own RNG state, and trains to the end
    # (once rank 0 has written it: the others went on while it wrote)
    world.groups.side.barrier().wait()
    state = load_checkpoint(run.checkpoints / "last.pt")
    resume = ResumePoint(str(run.checkpoints / "last.pt"), rank_state(state, rank, 2))
    trainer, events, _ = train("c", _preset(), resume=resume)
    out["c"] = {k: v.numpy() for k, v in _weights(trainer).items()}
    out["c_resumed"] = next(e for e in events if isinstance(e, ev.RunResumed)).exact

    # D: steering from rank 0 in the middle of the run, including a pause of 1.5 s
    def steer_from_rank_0(trainer: Trainer, event: ev.Event) -> None:
        if rank != 0 or not isinstance(event, ev.StepProgress) or event.step < 3:
            return
        if getattr(trainer, "_steered", False):
            return
        trainer._steered = True  # type: ignore[attr-defined]
        for command in (cmd.ScaleLR(0.5), cmd.Checkpoint(), cmd.Validate(), cmd.Pause()):
            trainer.submit(command)
        threading.Timer(1.5, lambda: trainer.submit(cmd.Resume())).start()

    _, events, _ = train("d", _preset(), on_event=steer_from_rank_0)
    kinds = (ev.LRChanged, ev.CheckpointSaved, ev.Validated, ev.Paused, ev.Resumed)
    out["d"] = [(type(e).__name__, e.step, e.source) for e in events if isinstance(e, kinds)]
    out["d_paused_s"] = [e.paused_s for e in events if isinstance(e, ev.Resumed)]
    world.close()
    return out


def test_two_ranks_train_like_one_process_resume_exactly_and_steer_together(
    tmp_path: Path,
) -> None:
    rank0, rank1 = on_ranks(_ranks_train, str(tmp_path), timeout=170)

    # Equivalence: the same global batches, the gradient averaged over the same images; only
    # the order of the floating-point sums differs (per rank, then across ranks), so the
    # weights agree to rounding, not bit for bit.
    torch.set_num_threads(1)
    single = Trainer(_preset())
    assert isinstance(single.run(), ev.Finished)
    a0 = {k: torch.from_numpy(v) for k, v in rank0["a"].items()}
    for key, value in _weights(single).items():
        torch.testing.assert_close(a0[key], value, rtol=0, atol=1e-5, msg=key)
        assert (rank0["a"][key] == rank1["a"][key]).all()  # DDP keeps the ranks identical

    # Rank 1's signal stopped both ranks at the same step; resuming at the same world size
    # gives, bit for bit, the weights of the uninterrupted run.
    assert rank0["b_end"] == rank1["b_end"]
    status, step, reason = rank0["b_end"]
    assert status == "interrupted" and reason == "SIGTERM received by rank 1" and 13 <= step < 20
    assert rank0["c_resumed"] and rank1["c_resumed"]
    for key, value in rank0["a"].items():
        assert (rank0["c"][key] == value).all(), key

    # Steering applies at the same step on both ranks; the pause held both for 1.5 s
    assert rank0["d"] == rank1["d"]
    names = [name for name, _, _ in rank0["d"]]
    assert {"LRChanged", "CheckpointSaved", "Paused", "Resumed"} <= set(names)
    assert all(paused >= 1.0 for paused in rank0["d_paused_s"] + rank1["d_paused_s"])
    steps = {name: step for name, step, _ in rank0["d"]}
    assert steps["LRChanged"] % 2 == 0  # at an exchange, every steer_every steps

    # The checkpoint holds both ranks' RNG states; resuming it on one process works and says
    # that it is not exact
    state = load_checkpoint(tmp_path / "b" / "checkpoints" / "last.pt")
    assert state["world_size"] == 2 and len(state["rng_ranks"]) == 2
    assert not torch.equal(state["rng_ranks"][0]["torch"], state["rng_ranks"][1]["torch"])
    alone = Trainer(_preset(), resume=ResumePoint("last.pt", state))
    events: list[ev.Event] = []
    alone.subscribe(events.append)
    assert isinstance(alone.run(), ev.Finished)
    [resumed] = [e for e in events if isinstance(e, ev.RunResumed)]
    assert not resumed.exact and "trained on 2 devices, resumed on 1" in resumed.note
