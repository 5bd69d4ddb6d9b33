"""What does tuitrain cost? The same training three ways, alternating, in one process:

  a) a bare PyTorch loop written here: gather a batch by index from the uint8 tensor, convert,
     (crop and flip when the preset asks), normalize, forward, backward, step;
  b) the engine headless, with the consumers of a real headless run: the run log in a temporary
     run directory, the control channel, and the headless printer writing to a null stream;
  c) the engine under the monitor (MonitorApp on a TrainerLink, Textual's headless driver,
     100x30, at the preset's refresh rate), with the same run log and control channel;
  e) (diagnostic, only with --modes) the trainer with no consumers at all.

Same model, data, optimizer, learning rates and number of steps; every run builds a fresh model
from the same seed. A run's clock starts when training starts (the engine's RunStarted event;
set-up is excluded) and stops when the last step's work is done (the engine's report of the
last step, which reads its metrics back from the device; the bare loop synchronizes). The
windows contain no validation and no checkpoint (see presets.py). Rounds alternate a b c, the
first round is warm-up and is dropped. Rounds go on until --rounds of them were undisturbed by
other processes (see common.Contention); the ratio to the bare loop is the median of each
round's own ratio, so slow drift of the machine cancels.

    python -m benchmarks.overhead                      # CPU, preset `default`, ~3 minutes
    python -m benchmarks.overhead --device cuda --preset cifar10-fast
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from benchmarks.common import (
    SUMMARY,
    Contention,
    Recorder,
    add_common_args,
    median,
    sync,
    table,
    verdict,
)
from benchmarks.common import (
    ratio as ratio_text,
)
from benchmarks.experiments import apply
from benchmarks.harness import (
    BareData,
    Timing,
    Window,
    bare_data,
    clocks,
    real_run,
    steps_per_epoch,
)
from benchmarks.presets import BenchPreset, bench_preset, cache_shapes
from tuitrain.config.augment import Augment
from tuitrain.engine import events as ev
from tuitrain.engine.runtime import Runtime, resolve_runtime
from tuitrain.engine.setup import seed_everything
from tuitrain.engine.trainer import Trainer
from tuitrain.headless import HeadlessPrinter
from tuitrain.models import build_model
from tuitrain.optim import build_optimizer, build_schedule

MODES = {
    "a": "bare loop",
    "b": "engine headless",
    "c": "engine + monitor",
    "e": "engine, no consumers",
}
TARGETS = {"b": 0.99, "c": 0.98}
SIZE = (100, 30)


# The bare loop --------------------------------------------------------------------------


def check_bare_augment(augment: Augment) -> None:
    others = [name for name in augment.enabled() if name not in ("crop", "flip")]
    if others:
        raise SystemExit(f"the bare loop does crop and flip only; this preset also has {others}")


def crop_flip(x: Tensor, augment: Augment, gen: torch.Generator) -> Tensor:
    """Hand-written batched random crop (pad, then cut at a random offset) and flip."""
    n, c, h, w = x.shape
    if (crop := augment.crop) is not None:
        pad = crop.padding
        mode = "reflect" if crop.fill == "reflect" else "constant"
        padded = F.pad(x, (pad, pad, pad, pad), mode=mode)
        dy, dx = torch.randint(0, 2 * pad + 1, (2, n, 1), device=x.device, generator=gen)
        rows = dy + torch.arange(h, device=x.device)
        cols = dx + torch.arange(w, device=x.device)
        batch = torch.arange(n, device=x.device)[:, None, None, None]
        chans = torch.arange(c, device=x.device)[None, :, None, None]
        x = padded[batch, chans, rows[:, None, :, None], cols[:, None, None, :]]
    if (flip := augment.flip) is not None:
        mask = torch.rand(n, device=x.device, generator=gen) < flip.p
        x = torch.where(mask[:, None, None, None], x.flip(3), x)
    return x


def bare_run(bench: BenchPreset, data: BareData) -> Timing:
    """The bare loop's epochs, on a thread like the engine's."""
    preset = bench.preset
    runtime = resolve_runtime(preset.train)  # the same device, precision and cudnn flags
    timings: list[Timing] = []
    thread = threading.Thread(
        target=lambda: timings.append(_bare_loop(preset, runtime, data)), name="bare-loop"
    )
    thread.start()
    thread.join()
    return timings[0]


def _bare_loop(preset, runtime: Runtime, data: BareData) -> Timing:  # type: ignore[no-untyped-def]
    device, batch = runtime.device, preset.data.batch_size
    seed_everything(preset.train.seed)
    channels, height, _ = data.images.shape[1:]
    model = build_model(
        preset.model, in_channels=channels, num_classes=data.num_classes, image_size=height
    )
    fmt = torch.channels_last if runtime.channels_last else torch.preserve_format
    model = model.to(device, memory_format=fmt)
    optimizer = build_optimizer(preset.optim, model)
    n = data.images.shape[0]
    steps_per_epoch = -(-n // batch)
    epochs = preset.train.epochs
    schedule = build_schedule(
        preset.schedule,
        base_lr=preset.optim.lr,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
    )
    lrs = [schedule.lr_at(s) for s in range(epochs * steps_per_epoch)]
    scaler = torch.amp.GradScaler("cuda") if runtime.precision == "fp16" else None
    augment, smoothing = preset.augment, preset.train.label_smoothing
    gen = torch.Generator(device=device).manual_seed(preset.train.seed)
    sync(str(device))
    start = clocks()
    step = 0
    for _ in range(epochs):
        order = torch.randperm(n, device=device, generator=gen)
        for k in range(steps_per_epoch):
            index = order[k * batch : (k + 1) * batch]
            x = data.images[index].float().div_(255)
            x = crop_flip(x, augment, gen)
            x = (x - data.mean) / data.std
            if runtime.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            y = data.labels[index]
            for group in optimizer.param_groups:
                group["lr"] = lrs[step]
            with runtime.autocast():
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=smoothing)
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
    loss.item()  # the work is done when its last result can be read
    end = clocks()
    return Timing(end[0] - start[0], end[1] - start[1])


# The engine -----------------------------------------------------------------------------


def headless_run(bench: BenchPreset) -> Timing:
    with real_run(bench) as (trainer, window), open(os.devnull, "w") as null:
        trainer.subscribe(HeadlessPrinter(null, every_s=10.0))
        trainer.start()
        while not trainer.join(timeout=0.25):  # as launch.py waits: short joins
            pass
    return window.timing


def engine_only_run(bench: BenchPreset) -> Timing:
    """The trainer alone: no run directory, log, control channel or printer (a diagnostic:
    tells the loop's own cost from its consumers')."""
    trainer = Trainer(bench.preset, name=bench.name, resolved=bench.resolved)
    window = Window(bench.preset.train.epochs * steps_per_epoch(bench))
    trainer.subscribe(window)
    trainer.start()
    while not trainer.join(timeout=0.25):
        pass
    return window.timing


def monitor_run(bench: BenchPreset) -> Timing:
    from tuitrain.ui.app import MonitorApp
    from tuitrain.ui.local import TrainerLink
    from tuitrain.ui.messages import Detach

    with real_run(bench) as (trainer, window):
        link = TrainerLink(trainer)
        app = MonitorApp(link, bench.preset.monitor, f"tuitrain {bench.name}")

        def close_when_done(event: ev.Event) -> None:
            if isinstance(event, (ev.Finished, ev.Failed)):
                app.post_message(Detach())  # thread-safe; the app closes, the run is over

        trainer.subscribe(close_when_done)
        asyncio.run(app.run_async(headless=True, size=SIZE))
        trainer.join()
    return window.timing


# Driver ---------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[BenchPreset, BareData], Timing]] = {
    "a": bare_run,
    "b": lambda bench, _data: headless_run(bench),
    "c": lambda bench, _data: monitor_run(bench),
    "e": lambda bench, _data: engine_only_run(bench),
}


CLEAN_CORES = 0.15
"""A round is clean when other processes used less than this many cores in each of its runs."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--rounds", type=int, default=5, help="clean rounds wanted (after warm-up)")
    parser.add_argument("--max-rounds", type=int, help="give up after this many (default 3x)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps-per-epoch", type=int, help="default: 40 on CPU, 98 on CUDA")
    parser.add_argument(
        "--modes", default="abc", help="which of a, b, c (and e: engine, no consumers) to run"
    )
    parser.add_argument(
        "--patch", action="append", default=[], help="a proposed fix (benchmarks/experiments.py)"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a preset override"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test: tiny runs, 1 round")
    args = parser.parse_args()
    steps = args.steps_per_epoch or (98 if args.device.startswith("cuda") else 40)
    wanted, epochs = args.rounds, args.epochs
    if args.quick:
        steps, wanted, epochs = 8, 1, 2
    most = args.max_rounds or 3 * wanted
    recorder = Recorder("overhead", args.device, args.json_out, args.wait_quiet)
    apply(args.patch)
    cache_shapes()
    bench = bench_preset(
        args.preset, args.device, steps_per_epoch=steps, epochs=epochs, overrides=tuple(args.set)
    )
    check_bare_augment(bench.preset.augment)
    data = bare_data(bench)
    images = epochs * steps * bench.batch_size
    rounds: list[Round] = []
    for number in range(most + 1):  # round 0 warms up caches, allocator, cudnn; dropped
        this = Round(number)
        for mode in args.modes:
            with Contention() as contention:
                seconds, cpu = RUNNERS[mode](bench, data)
            this.rates[mode] = images / seconds
            this.cpu[mode] = cpu / seconds
            this.others = max(this.others, contention.others_cores)
            if number > 0:
                recorder.emit(
                    "run",
                    preset=args.preset,
                    mode=mode,
                    what=MODES[mode],
                    round=number,
                    images=images,
                    seconds=round(seconds, 4),
                    images_per_s=round(images / seconds, 1),
                    process_cpu_cores=round(cpu / seconds, 3),
                    cpu_ms_per_image=round(cpu / images * 1000, 4),
                    other_processes_cores=round(contention.others_cores, 3),
                    patches=args.patch,
                )
        if number > 0:
            rounds.append(this)
        if sum(r.clean for r in rounds) >= wanted:
            break
    summarize(recorder, args.preset, bench, rounds, [*args.patch, *args.set])


@dataclass
class Round:
    number: int
    rates: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    """Cores the process used (all its threads) while training."""
    others: float = 0.0

    @property
    def clean(self) -> bool:
        return self.others < CLEAN_CORES


def summarize(
    recorder: Recorder,
    preset: str,
    bench: BenchPreset,
    rounds: list[Round],
    patches: list[str],
) -> None:
    """Medians over the clean rounds (all rounds, flagged, when none was clean). The ratio to
    the bare loop is the median of each round's own ratio: drift between rounds cancels."""
    clean = [r for r in rounds if r.clean]
    used = clean or rounds
    modes = list(used[0].rates)
    rows = []
    for mode in modes:
        rates = [r.rates[mode] for r in used]
        ratios = [r.rates[mode] / r.rates["a"] for r in used] if "a" in modes else []
        ratio = median(ratios) if ratios else None
        target = TARGETS.get(mode)
        recorder.emit(
            "summary",
            preset=preset,
            mode=mode,
            what=MODES[mode],
            batch_size=bench.batch_size,
            median_images_per_s=round(median(rates), 1),
            runs=[round(r, 1) for r in rates],
            ratio_to_bare=None if ratio is None else round(ratio, 4),
            ratios_per_round=[round(r, 4) for r in ratios],
            median_process_cpu_cores=round(median(r.cpu[mode] for r in used), 3),
            target=target,
            met=None if ratio is None or target is None else ratio >= target,
            rounds_used=len(used),
            rounds_run=len(rounds),
            clean=bool(clean),
            max_other_processes_cores=round(max(r.others for r in used), 3),
            patches=patches,
        )
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
        goal = f">= {target}" if target else ""
        met = verdict(ratio >= target) if ratio is not None and target else ""
        cores = median(r.cpu[mode] for r in used)
        ratio_spread = f"{min(ratios):.3f}-{max(ratios):.3f}" if ratios else ""
        rows.append(
            [
                f"{mode}) {MODES[mode]}",
                median(rates),
                spread,
                f"{cores:.2f}",
                ratio_text(ratio),
                ratio_spread,
                goal,
                met,
            ]
        )
    print()
    print(SUMMARY)
    patched = f", patches: {', '.join(patches)}" if patches else ""
    device = recorder.context["device"]
    print(f"preset {preset}, batch {bench.batch_size}, device {device}{patched}")
    quiet = "clean" if clean else "NONE clean: disturbed numbers"
    print(
        f"{len(used)} of {len(rounds)} rounds used ({quiet}; clean: other processes "
        f"< {CLEAN_CORES} cores); x bare is the median of per-round ratios"
    )
    headers = ["mode", "median img/s", "range", "CPU cores", "x bare", "per round", "target", ""]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
