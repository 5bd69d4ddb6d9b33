"""tuitrain against Lightning on the usual DataLoader path: same model, data, optimizer, steps.

  tuitrain memory:  the engine headless, data on the device, batched augmentation there;
  tuitrain stream:  the engine headless with data.loader=stream (a DataLoader, per-sample
                    torchvision v2 transforms in one worker per core): the data path alone;
  lightning:        a LightningModule around the same model and optimizer (the preset's
                    learning rate per step through LambdaLR), Lightning's Trainer with its
                    defaults (progress bar included), precision as tuitrain picks it, over a
                    DataLoader with the same v2 transforms plus ToDtype and Normalize in the
                    workers, one worker per core, persistent, pinned on CUDA.

Compared on epochs after the first (warm-up), without validation, in training images/s.
Skipped (and says so) when neither lightning nor pytorch_lightning is installed.

    python -m benchmarks.lightning_fit --device cuda --preset cifar10-fast
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.transforms import v2

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
)
from benchmarks.epoch import EpochTimes
from benchmarks.harness import bare_data, real_run
from benchmarks.pipeline import UintImages
from benchmarks.presets import BenchPreset, bench_preset, cache_shapes
from tuitrain.data.transforms import sample_transform
from tuitrain.engine.runtime import resolve_runtime
from tuitrain.engine.setup import seed_everything
from tuitrain.headless import HeadlessPrinter
from tuitrain.models import build_model
from tuitrain.optim import build_optimizer, build_schedule

LIGHTNING_PRECISION = {"bf16": "bf16-mixed", "fp16": "16-mixed", "fp32": "32-true"}


def lightning_module() -> Any:
    """lightning.pytorch, or the older pytorch_lightning package; None when neither is there."""
    for name in ("lightning.pytorch", "pytorch_lightning"):
        with contextlib.suppress(ImportError):
            return __import__(name, fromlist=["Trainer"])
    return None


def tuitrain_epochs(bench: BenchPreset) -> list[float]:
    times = EpochTimes()
    with real_run(bench) as (trainer, _), open(os.devnull, "w") as null:
        trainer.subscribe(times)
        trainer.subscribe(HeadlessPrinter(null))
        trainer.start()
        while not trainer.join(timeout=0.25):
            pass
    return times.train_seconds  # the last epoch validates once: not training time


def lightning_epochs(pl: Any, bench: BenchPreset) -> list[float]:
    preset = bench.preset
    runtime = resolve_runtime(preset.train)
    data = bare_data(bench)
    images, labels = data.images.cpu(), data.labels.cpu()
    mean, std = data.mean.flatten().tolist(), data.std.flatten().tolist()
    per_sample = sample_transform(preset.augment, tuple(images.shape[2:]), tuple(mean))
    steps = [per_sample] if per_sample is not None else []
    transform = v2.Compose([*steps, v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)])
    loader = DataLoader(
        UintImages(images, labels, transform),
        batch_size=preset.data.batch_size,
        shuffle=True,
        num_workers=cores(),
        persistent_workers=True,
        pin_memory=runtime.device.type == "cuda",
    )
    seed_everything(preset.train.seed)
    model = build_model(
        preset.model,
        in_channels=images.shape[1],
        num_classes=data.num_classes,
        image_size=images.shape[2],
    )
    if runtime.channels_last:
        model = model.to(memory_format=torch.channels_last)
    schedule = build_schedule(
        preset.schedule,
        base_lr=preset.optim.lr,
        epochs=preset.train.epochs,
        steps_per_epoch=len(loader),
    )
    device = str(runtime.device)

    class Classifier(pl.LightningModule):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def training_step(self, batch: Any, _index: int) -> torch.Tensor:
            x, y = batch
            if runtime.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            logits = self.model(x)
            smoothing = preset.train.label_smoothing
            return F.cross_entropy(logits.float(), y, label_smoothing=smoothing)

        def configure_optimizers(self) -> Any:
            optimizer = build_optimizer(preset.optim, self.model)
            base = preset.optim.lr
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, lambda step: schedule.lr_at(step) / base
            )
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }

    class EpochTimer(pl.Callback):  # type: ignore[name-defined,misc]
        def __init__(self) -> None:
            self.seconds: list[float] = []
            self._start = 0.0

        def on_train_epoch_start(self, *_: Any) -> None:
            sync(device)
            self._start = time.perf_counter()

        def on_train_epoch_end(self, *_: Any) -> None:
            sync(device)
            self.seconds.append(time.perf_counter() - self._start)

    timer = EpochTimer()
    trainer = pl.Trainer(
        accelerator="gpu" if runtime.device.type == "cuda" else "cpu",
        devices=[runtime.device.index or 0] if runtime.device.type == "cuda" else 1,
        max_epochs=preset.train.epochs,
        precision=LIGHTNING_PRECISION[runtime.precision],
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        limit_val_batches=0,
        callbacks=[timer],
    )
    trainer.fit(Classifier(), train_dataloaders=loader)
    return timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, device="cuda")
    parser.add_argument("--preset", default="cifar10-fast")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-images", type=int, help="default: 50,000 on CUDA, 2,560 on CPU")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 tiny epochs")
    args = parser.parse_args()
    recorder = Recorder("lightning", args.device, args.json_out, args.wait_quiet)
    pl = lightning_module()
    if pl is None:
        recorder.emit("skipped", reason="neither lightning nor pytorch_lightning is installed")
        print(SUMMARY)
        print("lightning is not installed: nothing to compare")
        return
    images = args.train_images or (50_000 if args.device.startswith("cuda") else 2_560)
    epochs = args.epochs
    if args.quick:
        images, epochs = 512, 2
    cache_shapes()
    common = {"epochs": epochs, "train_images": images, "val_images": 256}
    benches = {
        "tuitrain memory": bench_preset(args.preset, args.device, **common),
        "tuitrain stream": bench_preset(
            args.preset, args.device, overrides=("data.loader=stream",), **common
        ),
    }
    runs: dict[str, list[float]] = {}
    others: dict[str, float] = {}
    for name, bench in benches.items():
        with Contention() as contention:
            runs[name] = tuitrain_epochs(bench)
        others[name] = contention.others_cores
    with Contention() as contention:
        runs["lightning"] = lightning_epochs(pl, benches["tuitrain memory"])
    others["lightning"] = contention.others_cores
    rates = {name: images / median(s[1:] or s) for name, s in runs.items()}
    base = rates["tuitrain memory"]
    rows = []
    for name, seconds in runs.items():
        recorder.emit(
            "throughput",
            preset=args.preset,
            run=name,
            epochs_s=[round(s, 4) for s in seconds],
            median_images_per_s=round(rates[name], 1),
            ratio_to_tuitrain_memory=round(rates[name] / base, 4),
            batch_size=benches["tuitrain memory"].batch_size,
            train_images=images,
            workers=cores() if name != "tuitrain memory" else 0,
            lightning=getattr(pl, "__version__", None),
            other_processes_cores=round(others[name], 3),
        )
        rows.append([name, rates[name], ratio(rates[name] / base)])
    print()
    print(SUMMARY)
    print(f"{args.preset}, {images:,} images per epoch, {args.device}, epochs after the first")
    print(table(["run", "img/s", "x tuitrain memory"], rows))


if __name__ == "__main__":
    main()
