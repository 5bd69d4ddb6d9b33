"""tuitrain.fit() on a user's Dataset of tensors against the loop people write by hand.

  fit:  tuitrain.fit(model, dataset) headless, no validation, no augmentation: tuitrain reads
        the dataset once into memory (the in-memory path, when it fits) and trains from there;
  hand: the usual loop over a torch DataLoader on the same Dataset (shuffled, `--workers`
        worker processes), each batch moved to the device, forward, cross entropy, backward,
        SGD step; the loss is read back once, at the end.

Same model (same seed, same initial weights), optimizer (SGD, momentum 0.9, lr 0.05), batch
size, epochs and so steps. Both clocks include everything the user waits for: the hand loop
from its first batch to its last loss; fit from the call to its return (reading the dataset
into memory, the channel statistics and the checkpoints at the end of each epoch included),
and, apart, its training time alone (finished.elapsed_s). The two alternate, `--rounds` times.

    python -m benchmarks.fit --wait-quiet 300          # CPU: 4,096 images of 3x32x32, 3 epochs
    python -m benchmarks.fit --device cuda --images 50000 --epochs 2
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from benchmarks.common import (
    SUMMARY,
    Contention,
    Recorder,
    add_common_args,
    median,
    ratio,
    sync,
    table,
)


class TensorImages(Dataset[tuple[torch.Tensor, int]]):
    """A user's dataset: float C x H x W tensors in 0..1 with int labels, one item at a time."""

    def __init__(self, count: int, size: int, classes: int = 10) -> None:
        g = torch.Generator().manual_seed(0)
        self.images = torch.rand(count, 3, size, size, generator=g)
        self.labels = torch.randint(0, classes, (count,), generator=g)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return self.images[index], int(self.labels[index])


def network(classes: int = 10) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, classes),
    )


def hand_loop(dataset: TensorImages, args: argparse.Namespace) -> tuple[float, int]:
    """Seconds and steps of the usual loop."""
    device = torch.device(args.device)
    model = network().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(
        dataset,
        batch_size=args.batch_size,
        shuffle=True,
        num_workers=args.workers,
        pin_memory=device.type == "cuda",
        persistent_workers=args.workers > 0,
    )
    steps, total = 0, torch.zeros((), device=device)
    started = time.perf_counter()
    for _ in range(args.epochs):
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.detach()
            steps += 1
    float(total)  # the one read-back: the work is done
    return time.perf_counter() - started, steps


def with_fit(dataset: TensorImages, args: argparse.Namespace) -> dict[str, object]:
    """Seconds of the whole call, of training alone, the steps, and the path tuitrain chose."""
    import tuitrain

    settings = {
        "train.epochs": args.epochs,
        "train.device": args.device,
        "train.precision": "fp32",
        "train.channels_last": False,
        "data.batch_size": args.batch_size,
        "optim.lr": 0.05,
        "optim.momentum": 0.9,
        "optim.weight_decay": 0.0,
        "schedule.kind": "constant",
        "train.checkpoint.monitor": "train_acc",
    }
    with tempfile.TemporaryDirectory() as runs:
        started = time.perf_counter()
        result = tuitrain.fit(network(), dataset, set=settings, runs_dir=runs, headless=True)
        seconds = time.perf_counter() - started
        events = [json.loads(line) for line in (result.run_dir / "events.jsonl").open()]
    first = next(e for e in events if e["type"] == "run_started")
    last = next(e for e in events if e["type"] == "finished")
    return {
        "seconds": seconds,
        "training_s": last["elapsed_s"],
        "steps": last["step"],
        "loader": first["loader"],
        "status": result.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_args(parser)
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--workers", type=int, default=2, help="hand loop DataLoader workers")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.images, args.epochs, args.rounds = 256, 1, 1
    recorder = Recorder("fit", args.device, args.json_out, args.wait_quiet)
    dataset = TensorImages(args.images, args.size)
    hand_s: list[float] = []
    fits: list[dict[str, object]] = []
    others = 0.0
    for _ in range(args.rounds):
        with Contention() as contention:
            seconds, steps = hand_loop(dataset, args)
            sync(args.device)
        hand_s.append(seconds)
        others = max(others, contention.others_cores)
        with Contention() as contention:
            fits.append(with_fit(dataset, args))
        others = max(others, contention.others_cores)
    fit_s = median(float(f["seconds"]) for f in fits)  # type: ignore[arg-type]
    train_s = median(float(f["training_s"]) for f in fits)  # type: ignore[arg-type]
    hand = median(hand_s)
    record = recorder.emit(
        "fit_vs_hand_loop",
        images=args.images,
        image_size=args.size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        hand_loop_workers=args.workers,
        steps={"hand": steps, "fit": fits[0]["steps"]},
        loader_chosen=fits[0]["loader"],
        hand_loop_s=[round(s, 2) for s in hand_s],
        fit_s=[round(float(f["seconds"]), 2) for f in fits],  # type: ignore[arg-type]
        fit_training_s=[round(float(f["training_s"]), 2) for f in fits],  # type: ignore[arg-type]
        speed_fit_over_hand=round(hand / fit_s, 3),
        speed_fit_training_over_hand=round(hand / train_s, 3),
        max_other_processes_cores=round(others, 3),
    )
    print()
    print(SUMMARY)
    print(
        f"{args.images} images {args.size}x{args.size}, {args.epochs} epochs x batch "
        f"{args.batch_size} on {args.device}; tuitrain chose the {record['loader_chosen']} path"
    )
    rows = [
        ["hand loop (DataLoader)", hand, "1.000"],
        ["tuitrain.fit, whole call", fit_s, ratio(hand / fit_s)],
        ["tuitrain.fit, training only", train_s, ratio(hand / train_s)],
    ]
    print(table(["", "seconds (median)", "speed vs hand loop"], rows))


if __name__ == "__main__":
    main()
