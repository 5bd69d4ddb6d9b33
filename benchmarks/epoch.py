"""Time per epoch of a preset as it is, on CIFAR-shaped synthetic data, run headless.

The data: the embedded shapes dataset drawn at the preset's image size (32x32 for CIFAR-10
presets), 50,000 training and 10,000 validation images, 10 classes, uint8: CIFAR-10's shapes
and sizes without a download. Everything else is the preset's own: epochs, validation and
checkpoints every epoch, the run log and the control channel of a real run. Reported from the
engine's epoch events: each epoch's seconds (validation included) and training images/s.

    python -m benchmarks.epoch --device cuda                   # cifar10-fast, 10 epochs
    python -m benchmarks.epoch --device cpu --quick            # a smoke test
"""

from __future__ import annotations

import argparse
import os
import time

from benchmarks.common import SUMMARY, Contention, Recorder, add_common_args, median, table
from benchmarks.harness import real_run
from benchmarks.presets import bench_preset, cache_shapes
from tuitrain.engine import events as ev
from tuitrain.headless import HeadlessPrinter


class EpochTimes:
    def __init__(self) -> None:
        self.epochs: list[ev.EpochEnded] = []
        self.train_seconds: list[float] = []
        """Each epoch's seconds without its validations."""
        self.started: float | None = None
        self.finished: float | None = None
        self._validating = 0.0

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            self.started = time.perf_counter()
        elif isinstance(event, ev.Validated):
            self._validating += event.seconds
        elif isinstance(event, ev.EpochEnded):
            self.epochs.append(event)
            self.train_seconds.append(event.epoch_s - self._validating)
            self._validating = 0.0
        elif isinstance(event, (ev.Finished, ev.Failed)):
            self.finished = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser, device="cuda")
    parser.add_argument("--preset", default="cifar10-fast")
    parser.add_argument("--epochs", type=int, help="default: the preset's")
    parser.add_argument("--train-images", type=int, default=50_000)
    parser.add_argument("--val-images", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="a smoke test: 2 tiny epochs")
    args = parser.parse_args()
    recorder = Recorder("epoch", args.device, args.json_out, args.wait_quiet)
    if args.quick:
        args.epochs, args.train_images, args.val_images = 2, 1024, 256
    cache_shapes()
    from tuitrain.config.loader import load_preset

    epochs = args.epochs or load_preset(args.preset).preset.train.epochs
    bench = bench_preset(
        args.preset,
        args.device,
        epochs=epochs,
        train_images=args.train_images,
        val_images=args.val_images,
        quiet_epochs=False,
    )
    times = EpochTimes()
    with Contention() as contention, real_run(bench) as (trainer, _), open(os.devnull, "w") as null:
        trainer.subscribe(times)
        trainer.subscribe(HeadlessPrinter(null))
        trainer.start()
        while not trainer.join(timeout=0.25):
            pass
    assert times.started is not None and times.finished is not None
    rows = []
    for e in times.epochs:
        recorder.emit(
            "epoch",
            preset=args.preset,
            epoch=e.epoch,
            epoch_s=round(e.epoch_s, 4),
            images_per_s=round(e.images_per_s, 1),
            val_acc=e.val_acc,
            batch_size=bench.batch_size,
            train_images=args.train_images,
            val_images=args.val_images,
        )
        rows.append([e.epoch, e.epoch_s, e.images_per_s, e.val_acc])
    later = [e.epoch_s for e in times.epochs[1:]] or [times.epochs[0].epoch_s]
    total = times.finished - times.started
    recorder.emit(
        "summary",
        preset=args.preset,
        epochs=len(times.epochs),
        first_epoch_s=round(times.epochs[0].epoch_s, 4),
        median_epoch_s=round(median(later), 4),
        median_images_per_s=round(args.train_images / median(later), 1),
        run_s=round(total, 3),
        other_processes_cores=round(contention.others_cores, 3),
        final_val_acc=times.epochs[-1].val_acc,
    )
    print()
    print(SUMMARY)
    print(
        f"{args.preset} on {args.train_images:,} + {args.val_images:,} synthetic "
        f"{bench.preset.data.image_size}px images, {args.device}, batch {bench.batch_size}"
    )
    print(table(["epoch", "seconds (with val)", "img/s", "val acc"], rows))
    print(
        f"median epoch after the first: {median(later):.3g} s; "
        f"whole run (start to end, final checkpoint included): {total:.3g} s"
    )


if __name__ == "__main__":
    main()
