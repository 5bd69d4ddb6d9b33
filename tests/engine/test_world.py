"""The rank seam: a World decides which commands apply and when reports go out."""

from __future__ import annotations

import pytest

from tests.conftest import tiny
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.meter import Reading
from tuitrain.engine.trainer import Trainer
from tuitrain.engine.world import SingleProcess


class ScriptedWorld(SingleProcess):
    """Another rank's command arrives at step 3; reports go out only every 4 steps; every
    reduced reading is recorded."""

    def __init__(self) -> None:
        self.reduced: list[Reading] = []
        self.boundaries: list[int] = []

    def exchange_commands(self, step: int, local: list[cmd.Command]) -> list[cmd.Command]:
        self.boundaries.append(step)
        if step == 3 and self.boundaries.count(3) == 1:
            return [*local, cmd.ScaleLR(0.5, source="rank1", id="from-rank-1")]
        return local

    def report_due(self, step: int, due_here: bool) -> bool:
        return step % 4 == 0

    def reduce_reading(self, reading: Reading) -> Reading:
        self.reduced.append(reading)
        return reading


def test_a_world_supplies_commands_at_step_boundaries_and_paces_reports() -> None:
    world = ScriptedWorld()
    trainer = Trainer(tiny(train={"report": {"seconds": 60, "steps": 1}}), world=world)
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)
    trainer.run()
    assert isinstance(seen[-1], ev.Finished) and seen[-1].status == "completed"
    change = [e for e in seen if isinstance(e, ev.LRChanged)]
    assert len(change) == 1 and change[0].cmd_id == "from-rank-1" and change[0].step == 3
    assert change[0].lr == pytest.approx(0.025)
    # report.steps 1 would report every step; the world holds them to every 4th step.
    assert [e.step for e in seen if isinstance(e, ev.StepProgress)] == [4, 8, 12, 16]
    # Every step boundary asked the world (before each of the 16 steps, and after the last);
    # a boundary that applied commands asks again, for any that arrived meanwhile.
    assert sorted(set(world.boundaries)) == list(range(17))
    assert world.boundaries.count(3) == 2 and len(world.boundaries) == 18
    # Every meter read goes through the world: 4 step reports, and per epoch its training
    # reading, its closing report (empty after step 8 and 16) and its validation.
    assert len(world.reduced) == 4 + 2 * 3


def test_a_single_process_world_changes_nothing() -> None:
    world = SingleProcess()
    assert (world.rank, world.world_size, world.is_primary) == (0, 1, True)
    commands = [cmd.Pause()]
    assert world.exchange_commands(7, commands) is commands
    assert world.report_due(7, True) and not world.report_due(7, False)
