"""The control exchange: both ranks agree on rank 0's commands, any rank's signals, and reports."""

from __future__ import annotations

from typing import Any

from tests.distributed.gloo import on_ranks
from tuitrain.engine import commands as cmd


def _exchanges(rank: int) -> list[Any]:
    import torch.distributed as dist

    from tuitrain.distributed.env import placement_from
    from tuitrain.distributed.exchange import ControlExchange
    from tuitrain.distributed.group import open_groups, rank_device

    placement = placement_from()
    assert placement is not None and placement.rank == rank
    groups = open_groups(placement, rank_device(placement, "cpu"), timeout_s=60)
    exchange = ControlExchange(groups.side, rank, placement.world_size)
    rank0 = [cmd.Pause(source="key", id="p1"), cmd.ScaleLR(0.5, source="ctl", id="l1")]
    rank1 = [cmd.Stop(status="interrupted", reason="SIGTERM received", source="signal")]
    seen = [
        exchange.exchange([], report_due=False),  # nothing to say
        exchange.exchange(rank0 if rank == 0 else [], report_due=True),
        exchange.exchange([] if rank == 0 else rank1, report_due=False),
        # a report is rank 0's call: rank 1 asking for one changes nothing
        exchange.exchange([], report_due=rank == 1),
    ]
    dist.barrier()
    groups.close()
    return [(a.report_due, [c.to_dict() for c in a.commands]) for a in seen]


def test_both_ranks_see_the_same_commands_in_the_same_exchange() -> None:
    rank0, rank1 = on_ranks(_exchanges)
    assert rank0 == rank1
    quiet, steering, signal, unasked = rank0
    assert quiet == (False, [])
    assert steering[0] is True
    assert [(c["command"], c["id"], c["source"]) for c in steering[1]] == [
        ("pause", "p1", "key"),
        ("lr_scale", "l1", "ctl"),
    ]
    assert steering[1][1]["args"] == {"factor": 0.5}
    assert signal[0] is False
    [stop] = signal[1]
    assert stop["command"] == "stop"
    assert stop["args"] == {"status": "interrupted", "reason": "SIGTERM received by rank 1"}
    assert unasked == (False, [])
