"""Where this process sits among the ranks, read from the environment torchrun sets.

No torch here: the command line asks this before it decides what to import.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass

LAUNCHED_ENV = "TUITRAIN_LAUNCHED"
"""Set by `tuitrain run --devices N` on the workers it starts (torchrun does not set it)."""


@dataclass(frozen=True)
class Placement:
    """One rank of a job: its number, how many there are, and where it runs."""

    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    node_rank: int
    host: str

    @property
    def is_primary(self) -> bool:
        """Rank 0 is the run: it alone writes the run directory, the terminal and the socket."""
        return self.rank == 0

    @property
    def name(self) -> str:
        return f"rank {self.rank}"


def placement_from(environ: Mapping[str, str] | None = None) -> Placement | None:
    """This process's placement under torchrun, or None when it runs alone."""
    env = os.environ if environ is None else environ
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return None
    try:
        rank, world = int(env["RANK"]), int(env["WORLD_SIZE"])
        local_rank = int(env.get("LOCAL_RANK", rank))
        local_world = int(env.get("LOCAL_WORLD_SIZE", world))
        node_rank = int(env.get("GROUP_RANK", "0"))
    except ValueError:
        return None
    if world < 1 or not 0 <= rank < world:
        return None
    return Placement(rank, world, local_rank, local_world, node_rank, socket.gethostname())
