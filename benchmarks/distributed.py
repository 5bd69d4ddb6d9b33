"""Data-parallel training on CPU workers (gloo): two ranks against one process, and the cost
of the steering exchange.

  train:    images/s of the second epoch (rank 0's EpochEnded, which counts every rank's images)
            of the same preset trained by one process with all the cores, and by two ranks
            with half of them each, through the real Trainer and RankWorld (DDP over gloo);
            two ranks also at several steer_every K;
  exchange: the time of one control exchange (ControlExchange.exchange with nothing to say,
            two gloo ranks), and what it costs per step at each K.

On a 2-core machine two ranks cannot beat one process: the same cores do the same arithmetic,
and the gradients' all-reduce comes on top. What the numbers show is what data-parallelism
costs there, and that the steering exchange is noise against it.

    python -m benchmarks.distributed                # ~3 minutes on 2 cores
    python -m benchmarks.distributed --quick        # every code path in seconds
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import time
from typing import Any

from benchmarks.common import SUMMARY, Contention, Recorder, add_common_args, cores, table

STEER_EVERY = (1, 4, 16, 64)


def _preset(steer_every: int, quick: bool) -> Any:
    from tuitrain.config.preset import Preset

    size = 800 if quick else 6000
    return Preset.model_validate(
        {
            "data": {"kind": "shapes", "size": size, "image_size": 32, "batch_size": 128},
            "model": {"kind": "cnn", "norm": "group"},
            "optim": {"kind": "sgd", "lr": 0.05, "momentum": 0.9},
            "schedule": {"kind": "constant"},
            "train": {
                "epochs": 2,
                "device": "cpu",
                "report": {"seconds": 0.5},
                "distributed": {"steer_every": steer_every},
            },
        }
    )


def _rank(rank: int, world: int, port: int, threads: int, steer_every: int, quick: bool, out):  # type: ignore[no-untyped-def]
    import torch

    import tuitrain  # noqa: F401  (OMP_WAIT_POLICY before torch's first parallel region)
    from tuitrain.engine import events as ev
    from tuitrain.engine.trainer import Trainer

    torch.set_num_threads(threads)
    world_obj = None
    if world > 1:
        from tuitrain.distributed.env import Placement
        from tuitrain.distributed.group import open_groups
        from tuitrain.distributed.world import RankWorld

        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        placement = Placement(rank, world, rank, world, 0, socket.gethostname())
        groups = open_groups(placement, torch.device("cpu"), timeout_s=300)
        world_obj = RankWorld(groups, steer_every=steer_every)
    trainer = Trainer(_preset(steer_every, quick), world=world_obj)
    epochs: list[ev.EpochEnded] = []
    trainer.subscribe(lambda e: epochs.append(e) if isinstance(e, ev.EpochEnded) else None)
    with Contention() as contention:
        result = trainer.run()
    exchange_us = _time_exchanges(world_obj, 200 if quick else 2000) if world_obj else None
    if world_obj is not None:
        world_obj.close()
    out.put(
        {
            "rank": rank,
            "ok": isinstance(result, ev.Finished),
            "images_per_s": epochs[-1].images_per_s if epochs else None,
            "other_processes_cores": round(contention.others_cores, 2),
            "exchange_us": exchange_us,
        }
    )


def _time_exchanges(world: Any, count: int) -> float:
    exchange = world.exchange
    exchange.exchange([])  # warm
    started = time.perf_counter()
    for _ in range(count):
        exchange.exchange([])
    return (time.perf_counter() - started) / count * 1e6


def _run(world: int, steer_every: int, quick: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    threads = max(1, cores() // world)
    args = (world, port, threads, steer_every, quick, out)
    procs = [context.Process(target=_rank, args=(rank, *args)) for rank in range(world)]
    for proc in procs:
        proc.start()
    results = sorted((out.get(timeout=900) for _ in procs), key=lambda r: r["rank"])
    for proc in procs:
        proc.join()
    assert all(r["ok"] for r in results), results
    return {**results[0], "threads_per_rank": threads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--quick", action="store_true", help="every code path, meaningless numbers")
    args = parser.parse_args()
    recorder = Recorder("distributed", "cpu", args.json_out, args.wait_quiet)
    rows = []
    one = _run(1, 4, args.quick)
    recorder.emit("train", world_size=1, steer_every=None, **one)
    rows.append(("1 process", "-", f"{one['images_per_s']:.0f}", "1.00", "-", "-"))
    for k in STEER_EVERY:
        two = _run(2, k, args.quick)
        recorder.emit("train", world_size=2, steer_every=k, **two)
        step_ms = 128 / two["images_per_s"] * 1e3
        per_step_us = two["exchange_us"] / k
        rows.append(
            (
                "2 ranks",
                k,
                f"{two['images_per_s']:.0f}",
                f"{two['images_per_s'] / one['images_per_s']:.2f}",
                f"{two['exchange_us']:.0f} us",
                f"{per_step_us / (step_ms * 1e3) * 100:.3f}% of a {step_ms:.0f} ms step",
            )
        )
        recorder.emit("exchange", world_size=2, steer_every=k, exchange_us=two["exchange_us"])
    print(SUMMARY)
    headers = ("run", "steer_every", "img/s", "vs 1 process", "one exchange", "exchange per step")
    print(table(headers, rows))


if __name__ == "__main__":
    main()
