"""The control exchange: every K steps the ranks agree on what happens next, over gloo.

Rank 0 holds the run's command queue (keys, ctl, its signals); the other ranks hold only their
own signals. At an exchange each rank sends a three-number header: the byte length of rank 0's
commands, whether rank 0 wants a progress report, and this rank's signal requests as bits.
When rank 0 has commands, their JSON wire form follows in one broadcast. Every rank then applies
the same commands at the same step, and every rank's stop request stops them all.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist

from tuitrain.engine import commands as cmd

_STOP_BITS = {"SIGINT": 1, "SIGTERM": 2}
_SAVE_BIT = 4
_LENGTH, _REPORT, _REQUESTS = range(3)


@dataclass(frozen=True)
class Agreement:
    """What every rank does next, identically."""

    commands: tuple[cmd.Command, ...]
    """rank 0's commands in their order, then those the other ranks' signals asked for."""
    report_due: bool


def request_bits(command: cmd.Command) -> int:
    """What a rank other than 0 can ask for: stopping on a signal, or a checkpoint (SIGUSR1)."""
    if isinstance(command, cmd.SaveOnSignal):
        return _SAVE_BIT
    if isinstance(command, cmd.Stop):
        for name, bit in _STOP_BITS.items():
            if name in command.reason:
                return bit
        return _STOP_BITS["SIGTERM"]
    return 0


def commands_from_bits(rank: int, bits: int) -> list[cmd.Command]:
    """The same commands, with the same ids, on every rank (the ids name the asking rank)."""
    found: list[cmd.Command] = []
    for name, bit in _STOP_BITS.items():
        if bits & bit:
            reason = f"{name} received by rank {rank}"
            found.append(
                cmd.Stop(
                    status="interrupted", reason=reason, source="signal", id=f"rank{rank}-stop"
                )
            )
            break
    if bits & _SAVE_BIT:
        found.append(cmd.SaveOnSignal(source="signal", id=f"rank{rank}-save"))
    return found


class ControlExchange:
    """One rank's end of the exchange. Every rank must call `exchange` at the same steps."""

    def __init__(self, group: dist.ProcessGroup, rank: int, world_size: int) -> None:
        self.group, self.rank, self.world_size = group, rank, world_size
        self._header = torch.zeros(3, dtype=torch.int64)
        self._headers = [torch.zeros(3, dtype=torch.int64) for _ in range(world_size)]

    def exchange(self, local: Sequence[cmd.Command], report_due: bool = False) -> Agreement:
        """`local`: the commands this rank received since the last exchange (all of rank 0's;
        only signals elsewhere). `report_due` counts on rank 0 only."""
        payload = self._encode(local) if self.rank == 0 else b""
        header = self._header
        header[_LENGTH] = len(payload)
        header[_REPORT] = int(report_due and self.rank == 0)
        header[_REQUESTS] = 0
        if self.rank != 0:
            for command in local:
                header[_REQUESTS] |= request_bits(command)
        dist.all_gather(self._headers, header, group=self.group)
        rows = [row.tolist() for row in self._headers]
        commands = self._receive(local, payload, rows[0][_LENGTH])
        for rank, row in enumerate(rows[1:], start=1):
            commands.extend(commands_from_bits(rank, row[_REQUESTS]))
        return Agreement(tuple(commands), report_due=bool(rows[0][_REPORT]))

    def _receive(
        self, local: Sequence[cmd.Command], payload: bytes, length: int
    ) -> list[cmd.Command]:
        if length == 0:
            return []
        if self.rank == 0:
            data = torch.frombuffer(bytearray(payload), dtype=torch.uint8)
        else:
            data = torch.empty(length, dtype=torch.uint8)
        dist.broadcast(data, src=0, group=self.group)
        if self.rank == 0:
            return list(local)
        return [cmd.command_from_dict(item) for item in json.loads(data.numpy().tobytes())]

    @staticmethod
    def _encode(commands: Sequence[cmd.Command]) -> bytes:
        if not commands:
            return b""
        return json.dumps([command.to_dict() for command in commands]).encode()
