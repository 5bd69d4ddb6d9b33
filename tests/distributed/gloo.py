"""Running a function on two gloo ranks in spawned processes, and collecting what each returns."""

from __future__ import annotations

import multiprocessing
import os
import socket
import traceback
from collections.abc import Callable
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _worker(rank: int, world: int, port: int, body: Callable[..., Any], args: tuple, out) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE=str(world),
    )
    import torch

    torch.set_num_threads(1)
    try:
        out.put((rank, "ok", body(rank, *args)))
    except BaseException:
        out.put((rank, "error", traceback.format_exc()))


def on_ranks(body: Callable[..., Any], *args: Any, world: int = 2, timeout: float = 90) -> list:
    """body(rank, *args) on `world` ranks (a module-level function); their results by rank."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    port = free_port()
    procs = [
        context.Process(target=_worker, args=(rank, world, port, body, args, out))
        for rank in range(world)
    ]
    for proc in procs:
        proc.start()
    results: dict[int, Any] = {}
    try:
        for _ in range(world):
            rank, kind, value = out.get(timeout=timeout)
            if kind == "error":
                raise AssertionError(f"rank {rank} failed:\n{value}")
            results[rank] = value
    finally:
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
    return [results[rank] for rank in range(world)]
