"""Data only, no model: how fast do augmented, normalized batches reach the device?

  memory:     tuitrain's in-memory path: the uint8 dataset on the device, batches gathered by
              index, converted and augmented in batch there (MemoryTrainLoader + BatchAugment);
  dataloader: the usual path: a torch DataLoader (one worker per core, persistent workers)
              with per-sample torchvision.transforms.v2 transforms in the workers, then the
              batch moved to the device, converted and normalized.

Both deliver the same thing (a normalized float batch on the device) with the same
augmentation parameters (the v2 pipeline is tuitrain's own mirror of BatchAugment). Two
augmentation sets: crop+flip, and the full per-sample set (crop, flip, affine, colour,
erasing). Mixup and cutmix need a whole batch and are batched on both paths, so they are left
out. Images are synthetic uint8 noise: augmentation cost does not depend on content.

    python -m benchmarks.pipeline                  # CPU, 32x32 and 64x64, ~1.5 minutes
    python -m benchmarks.pipeline --device cuda
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from benchmarks.common import (
    SUMMARY,
    Contention,
    Recorder,
    add_common_args,
    cores,
    median,
    ratio,
    sync,
    table,
    verdict,
)
from tuitrain.config.augment import Affine, Augment, Color, Crop, Erasing, Flip
from tuitrain.data.augment import BatchAugment
from tuitrain.data.memory import MemoryTrainLoader
from tuitrain.data.stats import Normalizer
from tuitrain.data.transforms import sample_transform

AUGMENTS = {
    "crop+flip": Augment(crop=Crop(padding=4), flip=Flip()),
    "full": Augment(
        crop=Crop(padding=4),
        flip=Flip(),
        affine=Affine(),
        color=Color(),
        erasing=Erasing(),
    ),
}
MEAN, STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
TARGET = 2.0
"""The in-memory path should be at least this many times the DataLoader on 32x32 on CPU."""


class UintImages(Dataset[tuple[Tensor, Tensor]]):
    def __init__(self, images: Tensor, labels: Tensor, transform: Callable | None) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def synthetic(n: int, size: int) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen)
    return images, torch.randint(0, 10, (n,), generator=gen)


def memory_batches(
    images: Tensor, labels: Tensor, augment: Augment, batch: int, device: torch.device
) -> Callable[[int], Iterator[tuple[Tensor, Tensor]]]:
    loader = MemoryTrainLoader(
        images.to(device),
        labels.to(device),
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        seed=0,
        augment=BatchAugment(augment, 10, Normalizer((MEAN, STD), device)),
    )
    return loader.epoch


def dataloader_batches(
    images: Tensor, labels: Tensor, augment: Augment, batch: int, device: torch.device
) -> Callable[[int], Iterator[tuple[Tensor, Tensor]]]:
    transform = sample_transform(augment, tuple(images.shape[2:]), MEAN)  # type: ignore[arg-type]
    loader = DataLoader(
        UintImages(images, labels, transform),
        batch_size=batch,
        shuffle=True,
        drop_last=True,
        num_workers=cores(),
        persistent_workers=True,
        pin_memory=device.type == "cuda",
    )
    normalize = Normalizer((MEAN, STD), device)

    def epoch(_: int) -> Iterator[tuple[Tensor, Tensor]]:
        for x, y in loader:
            x = x.to(device, non_blocking=True).float().div_(255)
            yield normalize(x), y.to(device, non_blocking=True)

    return epoch


PATHS = {"memory": memory_batches, "dataloader": dataloader_batches}


def images_per_s(epoch: Callable[[int], Iterator[tuple[Tensor, Tensor]]], device: str) -> float:
    sync(device)
    start = time.perf_counter()
    count = 0
    for x, _ in epoch(1):
        count += x.shape[0]
    sync(device)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--sizes", default="32,64", help="image sizes, comma-separated")
    parser.add_argument("--images", type=int, default=4096, help="images per 32x32 epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny epochs")
    args = parser.parse_args()
    device = torch.device(args.device)
    recorder = Recorder("pipeline", args.device, args.json_out, args.wait_quiet)
    repeats = 1 if args.quick else args.repeats
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        # The same bytes per epoch at every size: larger images, fewer of them.
        n = max(args.batch_size * 2, args.images * 32 * 32 // (size * size))
        if args.quick:
            n = args.batch_size * 4
        images, labels = synthetic(n, size)
        for aug_name, augment in AUGMENTS.items():
            epochs = {
                name: build(images, labels, augment, args.batch_size, device)
                for name, build in PATHS.items()
            }
            for epoch in epochs.values():
                for _ in epoch(0):  # warm-up: workers started, caches and allocator primed
                    pass
            rates: dict[str, list[float]] = {name: [] for name in PATHS}
            others = 0.0
            for _ in range(repeats):
                for name, epoch in epochs.items():  # alternate, so drift hits both alike
                    with Contention() as contention:
                        rates[name].append(images_per_s(epoch, args.device))
                    others = max(others, contention.others_cores)
            del epochs  # stops the persistent workers before the next configuration
            med = {name: median(r) for name, r in rates.items()}
            speedup = med["memory"] / med["dataloader"]
            target = TARGET if size == 32 and device.type == "cpu" else None
            for name, rate in med.items():
                recorder.emit(
                    "throughput",
                    path=name,
                    image_size=size,
                    augment=aug_name,
                    augmentations=augment.enabled(),
                    batch_size=args.batch_size,
                    images=n,
                    workers=cores() if name == "dataloader" else 0,
                    median_images_per_s=round(rate, 1),
                    runs=[round(r, 1) for r in rates[name]],
                    max_other_processes_cores=round(others, 3),
                )
            recorder.emit(
                "speedup",
                image_size=size,
                augment=aug_name,
                memory_over_dataloader=round(speedup, 3),
                target=target,
                met=None if target is None else speedup >= target,
            )
            met = verdict(speedup >= target) if target else ""
            rows.append(
                [f"{size}x{size}", aug_name, med["memory"], med["dataloader"], ratio(speedup), met]
            )
    print()
    print(SUMMARY)
    print(f"device {args.device}, batch {args.batch_size}, DataLoader workers {cores()}")
    headers = ["images", "augment", "memory img/s", "DataLoader img/s", "memory / DL", "2x?"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
