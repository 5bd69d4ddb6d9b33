"""Failures of a data-parallel job said in one line: which rank, where, what, and the fix."""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import tiny
from tests.distributed.gloo import free_port, on_ranks
from tuitrain.distributed.launcher import _report, describe_failure


def _rank_1_fails(rank: int) -> str:
    from tuitrain.distributed.env import placement_from
    from tuitrain.distributed.group import open_groups, rank_device
    from tuitrain.distributed.world import RankWorld
    from tuitrain.engine import events as ev
    from tuitrain.engine.trainer import Trainer

    class Breaking(RankWorld):
        def exchange_commands(self, step: int, local: list) -> list:  # type: ignore[type-arg]
            if self.rank == 1 and step == 5:
                raise RuntimeError("the disk holding the data is gone")
            return super().exchange_commands(step, local)

    placement = placement_from()
    assert placement is not None
    groups = open_groups(placement, rank_device(placement, "cpu"), timeout_s=60)
    world = Breaking(groups, steer_every=1)
    trainer = Trainer(tiny(model={"norm": "none"}), world=world)
    trainer.subscribe(world.on_event)
    result = trainer.run()
    assert isinstance(result, ev.Failed)
    return result.message  # rank 1 returns, and its process ends: rank 0 loses contact


def test_rank_0_names_the_rank_that_failed_with_its_host_and_error() -> None:
    rank0, rank1 = on_ranks(_rank_1_fails)
    # (raised from this file, it reads as the user's own code: a traceback and a note)
    assert "RuntimeError: the disk holding the data is gone" in rank1
    host = socket.gethostname()
    assert rank0 == (
        f"lost contact with another rank: rank 1 on {host}: "
        "RuntimeError: the disk holding the data is gone"
    )


def _join(rank: int, port: int, world: int) -> str:
    import os

    from tuitrain.distributed.env import placement_from
    from tuitrain.distributed.faults import DistributedFailure
    from tuitrain.distributed.group import open_groups, rank_device

    os.environ.update(MASTER_PORT=str(port), WORLD_SIZE=str(world))
    placement = placement_from()
    assert placement is not None
    try:
        open_groups(placement, rank_device(placement, "cpu"), timeout_s=3)
    except DistributedFailure as exc:
        return str(exc)
    return "joined"


def test_a_taken_port_and_a_peer_that_never_comes_are_one_line_messages_with_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        [in_use] = on_ranks(_join, port, 1, world=1)
    assert in_use.startswith(f"the rendezvous port 127.0.0.1:{port} is in use by another job")
    assert "hint: pick a free one with torchrun --master-port" in in_use
    [alone] = on_ranks(_join, free_port(), 2, world=1)  # rank 0 of 2; rank 1 never starts
    assert alone.startswith("the other ranks did not join at 127.0.0.1:")
    assert "within 3 s" in alone and "--rdzv-endpoint" in alone


@dataclass
class Failure:
    """What torchrun hands the launcher about a worker that ended badly."""

    exitcode: int
    timestamp: int = 0
    pid: int = 4242
    error_file_data: dict[str, Any] = field(default_factory=dict)

    def signal_name(self) -> str:
        return signal.Signals(-self.exitcode).name


def _said(report: dict[str, Any]) -> dict[str, Any]:
    return {"message": report["message"], "tuitrain": report}


def test_the_launcher_blames_the_rank_that_failed_first_not_those_that_lost_it(
    capsys: Any,
) -> None:
    lost = _said({"message": "lost contact with another rank", "consequence": True})
    killed = {0: Failure(1, timestamp=5, error_file_data=lost), 1: Failure(-9, timestamp=6)}
    assert _report(killed) == 1
    host = socket.gethostname()
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"tuitrain: error: rank 1 on {host} was killed by SIGKILL (pid 4242); the job ended"
    ]

    raised = _said({"message": "CUDA error: an illegal memory access", "host": "gpu07"})
    assert describe_failure(3, Failure(1, error_file_data=raised)) == (
        "rank 3 on gpu07: CUDA error: an illegal memory access"
    )
    # Stopped by a signal and checkpointed: the run's own exit code, nothing to report
    assert _report({0: Failure(143), 1: Failure(-15)}) == 143
    assert _report({0: Failure(130)}) == 130
    assert capsys.readouterr().err == ""
