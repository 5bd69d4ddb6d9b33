"""What the monitor costs: UI CPU and memory with long histories, and hotkey latency.

1. CPU and memory. A child process runs the MonitorApp on a fake run that reports at the
   engine's rate (train.report.seconds of the preset: 10 reports a second by default), with a
   history of 1k, 100k or 1M steps already ingested, at the preset's refresh rate. The UI's
   CPU is the process's CPU time minus the fake source thread's, per second of wall time (a
   fraction of one core). The same app with no live events is the idle baseline. By default
   the app draws on a real terminal (a pseudo-terminal whose output is read and discarded), so
   the cost of writing frames counts; `--terminal headless` uses Textual's headless driver.
   Memory: the history's retained size (a walk over its objects), the RSS, and what stays
   allocated (tracemalloc) after a few more seconds of live events.
2. Hotkey latency, with a real trainer (the preset on --device, a real run directory): from a
   key press (Textual's Pilot) until the answer to the command is on screen (the notice line
   renders the engine's answering event): LR down, LR up, pause, resume.

    python -m benchmarks.ui                       # ~2 minutes on CPU
    python -m benchmarks.ui --sizes 1000 --presses 8 --window 4
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import gc
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import (
    SUMMARY,
    Contention,
    Recorder,
    add_common_args,
    median,
    percentile,
    table,
    verdict,
)
from benchmarks.experiments import apply
from tuitrain.config.loader import load_preset
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev

SIZE = (100, 30)
STEPS_PER_EPOCH = 1000
STEPS_PER_REPORT = 10
CPU_TARGET = 0.10
"""Fraction of one core."""
LATENCY_TARGET_S = 0.200
ROOT = Path(__file__).resolve().parents[1]


# A run made of events -------------------------------------------------------------------


def _loss(step: int, rng: random.Random) -> float:
    return 2.3 * math.exp(-step / 300_000) + 0.1 + 0.05 * rng.random()


def step_event(step: int, rng: random.Random, now: float) -> ev.StepProgress:
    epoch, batch = divmod(step, STEPS_PER_EPOCH)
    loss = _loss(step, rng)
    return ev.StepProgress(
        step=step,
        epoch=epoch + 1,
        batch=batch,
        batches=STEPS_PER_EPOCH,
        loss=loss,
        acc=max(0.0, 1.0 - loss / 2.4),
        lr=0.05,
        images_per_s=1500.0,
        elapsed_s=step * 0.01,
        eta_epoch_s=10.0,
        eta_run_s=1000.0,
        time=now,
    )


def epoch_events(step: int, rng: random.Random, now: float) -> list[ev.Event]:
    epoch = step // STEPS_PER_EPOCH
    loss = _loss(step, rng)
    return [
        ev.Validated(
            step=step,
            epoch=float(epoch),
            val_loss=loss * 1.1,
            val_acc=1 - loss / 2.5,
            seconds=0.5,
            time=now,
        ),
        ev.EpochEnded(
            epoch=epoch,
            epochs=10_000,
            step=step,
            train_loss=loss,
            train_acc=1 - loss / 2.4,
            val_loss=loss * 1.1,
            val_acc=1 - loss / 2.5,
            lr=0.05,
            epoch_s=10.0,
            images_per_s=1500.0,
            elapsed_s=step * 0.01,
            eta_run_s=1000.0,
            best_metric="val_acc",
            best_value=1 - loss / 2.5,
            is_best=True,
            fit="ok",
            train_val_gap=0.01,
            time=now,
        ),
    ]


def started_event(preset: dict[str, Any]) -> ev.RunStarted:
    return ev.RunStarted(
        preset_name="default",
        preset=preset,
        run_dir="/tmp/runs/benchmark",
        device="cpu",
        device_name="CPU",
        precision="fp32",
        epochs=10_000,
        steps_per_epoch=STEPS_PER_EPOCH,
        train_size=64_000,
        val_size=16_000,
        num_classes=10,
        image_shape=(3, 32, 32),
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
        parameters=23_946,
        lr=0.05,
        loader="memory",
        versions={},
    )


def history(steps: int, preset: dict[str, Any]) -> Iterator[ev.Event]:
    """A run of `steps` steps, one report per step (the most a history can hold)."""
    rng, now = random.Random(0), time.time() - steps * 0.01
    yield started_event(preset)
    for step in range(1, steps + 1):
        yield step_event(step, rng, now)
        if step % STEPS_PER_EPOCH == 0:
            yield from epoch_events(step, rng, now)


class FakeRun:
    """A RunLink that reports like the engine: a step report every `report_s` seconds (10
    steps each), an epoch end with its validation every 1000 steps. Commands are ignored."""

    can_control = True
    owns_run = True
    label = "benchmark"

    def __init__(self, step: int, report_s: float, live: bool) -> None:
        self.step, self.report_s, self.live = step, report_s, live
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, emit: Callable[[ev.Event], None]) -> None:
        if self.live:
            self.thread = threading.Thread(target=self._run, args=(emit,), daemon=True)
            self.thread.start()

    def _run(self, emit: Callable[[ev.Event], None]) -> None:
        rng, due = random.Random(1), time.monotonic()
        while not self._stop.is_set():
            due += self.report_s
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            previous, self.step = self.step, self.step + STEPS_PER_REPORT
            emit(step_event(self.step, rng, time.time()))
            if self.step // STEPS_PER_EPOCH > previous // STEPS_PER_EPOCH:
                for event in epoch_events(self.step, rng, time.time()):
                    emit(event)

    def cpu_seconds(self) -> float:
        """CPU time of the source thread (not the UI's)."""
        if self.thread is None or self.thread.ident is None:
            return 0.0
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))

    def submit(self, command: cmd.Command) -> None:
        pass

    def close(self) -> None:
        self._stop.set()


def deep_size(root: object) -> int:
    """Bytes held by the objects reachable from root (classes, modules, functions excluded)."""
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
    seen: set[int] = set()
    stack, total = [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# The child: one app, one measurement ---------------------------------------------------


def child(spec: dict[str, Any], result_path: Path) -> None:
    result: dict[str, Any] = {}
    try:
        result = _measure(spec)
    except BaseException:
        result = {"error": traceback.format_exc()}
    finally:
        result_path.write_text(json.dumps(result))


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    import tracemalloc

    from benchmarks.experiments import apply
    from tuitrain.ui.app import MonitorApp
    from tuitrain.ui.messages import Detach

    apply(spec["patches"])
    loaded = load_preset(spec["preset"])
    report_s = loaded.preset.train.report.seconds
    link = FakeRun(spec["steps"], report_s, live=spec["live"])
    app = MonitorApp(link, loaded.preset.monitor, "tuitrain benchmark")
    started = time.perf_counter()
    for event in history(spec["steps"], loaded.resolved):
        app.history.ingest(event)
    result: dict[str, Any] = {
        "ingest_s": time.perf_counter() - started,
        "history_bytes": deep_size(app.history),
        "rss_after_ingest_mib": rss_mib(),
    }

    def probe() -> None:
        try:
            time.sleep(spec["settle"])
            wall0, cpu0, src0, draws0 = (
                time.perf_counter(),
                time.process_time(),
                link.cpu_seconds(),
                app.redraws,
            )
            time.sleep(spec["window"])
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            src = link.cpu_seconds() - src0
            result.update(
                wall_s=wall,
                ui_cpu_s=cpu - src,
                source_cpu_s=src,
                ui_core_fraction=(cpu - src) / wall,
                redraws_per_s=(app.redraws - draws0) / wall,
                rss_mib=rss_mib(),
            )
            if spec["trace_s"] > 0:
                tracemalloc.start()
                time.sleep(spec["trace_s"])
                kept, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                result.update(traced_kept_bytes=kept, traced_peak_bytes=peak)
            result["rss_end_mib"] = rss_mib()
        finally:
            app.post_message(Detach())

    threading.Thread(target=probe, name="probe", daemon=True).start()
    if spec["terminal"] == "headless":
        app.run(headless=True, size=SIZE)
    else:
        app.run()
    result["refresh_hz"] = loaded.preset.monitor.refresh_hz
    result["report_s"] = report_s
    return result


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result_path = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "benchmarks.ui", "--child", json.dumps(spec)]
        command += ["--result", str(result_path)]
        if spec["terminal"] == "pty":
            _on_pty(command)
        else:
            subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, check=True)
        result = json.loads(result_path.read_text())
    if "error" in result:
        raise RuntimeError("the measuring child failed:\n" + result["error"])
    return result


def _on_pty(command: list[str]) -> None:
    """Run command on a pseudo-terminal of SIZE, reading (and dropping) all it draws."""
    master, slave = os.openpty()
    columns, rows = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    process = subprocess.Popen(
        command, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    drawn = [0]

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            drawn[0] += len(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    process.wait()
    reader.join(timeout=2)
    os.close(master)
    if process.returncode != 0:
        raise RuntimeError(f"the measuring child exited with {process.returncode}")


# Hotkey latency -------------------------------------------------------------------------

ANSWERS = {"l": (" → ",), "L": (" → ",), "p": ("paused at step", "resumed at step")}
"""What the engine's answer to each key says (as the monitor words it)."""


async def hotkey_latency(preset: str, device: str, presses: int, seed: int) -> list[dict]:
    """Press l, L, p, p, ... against a real run; seconds from each press to its answer shown."""
    from benchmarks.harness import real_run  # imports torch: not in the measuring children
    from benchmarks.presets import BenchPreset
    from tuitrain.ui.app import MonitorApp
    from tuitrain.ui.local import TrainerLink
    from tuitrain.ui.widgets.bars import NoticeLine
    from tuitrain.ui.widgets.base import HistoryView
    from tuitrain.ui.widgets.event_log import EventLog

    # The answer is on screen when a panel that lists it (the event log, or the notice line
    # at sizes that show it) has rendered it: the frame is composed from these renders.
    renders: list[tuple[float, str]] = []
    original = HistoryView.render

    def recording(self: HistoryView) -> Any:
        shown = original(self)
        if isinstance(self, (EventLog, NoticeLine)):
            renders.append((time.perf_counter(), shown.plain))
        return shown

    HistoryView.render = recording  # type: ignore[method-assign]
    loaded = load_preset(preset, [f"train.device={device}", "train.epochs=10000"])
    bench = BenchPreset(loaded.name, loaded.preset, loaded.resolved)
    rng = random.Random(seed)
    samples: list[dict] = []
    try:
        with real_run(bench, check=False) as (trainer, _):
            # When the engine emitted each answer (on its thread): splits a latency into the
            # engine's part (waiting for a step boundary) and the monitor's (drawing it).
            answered: list[float] = []
            trainer.subscribe(
                lambda e: (
                    answered.append(time.perf_counter()) if getattr(e, "cmd_id", None) else None
                )
            )
            app = MonitorApp(TrainerLink(trainer), loaded.preset.monitor, "tuitrain benchmark")
            async with app.run_test(headless=True, size=SIZE) as pilot:
                while app.history.progress is None:  # until training steps are reported
                    await asyncio.sleep(0.05)
                keys = ("l", "L", "p", "p")
                for i in range(presses):
                    key = keys[i % len(keys)]
                    # Random gaps: presses land at every phase of the step and the redraw timer.
                    await asyncio.sleep(rng.uniform(0.1, 0.5))
                    last, first = app.history.log[-1], len(renders)
                    pressed = time.perf_counter()
                    await pilot.press(key)
                    shown = await _answer_shown(app, last, renders, first, ANSWERS[key])
                    engine = next((t for t in answered if t >= pressed), shown) - pressed
                    seconds = shown - pressed
                    samples.append(
                        {"key": key, "seconds": seconds, "engine": engine, "ui": seconds - engine}
                    )
                trainer.submit(cmd.Stop(source="api", reason="benchmark over"))
                while not trainer.join(timeout=0):
                    await asyncio.sleep(0.05)
    finally:
        HistoryView.render = original  # type: ignore[method-assign]
    return samples


async def _answer_shown(
    app: Any, last: object, renders: list[tuple[float, str]], first: int, wanted: tuple[str, ...]
) -> float:
    """When a panel first rendered the engine's answer (the history's first matching line
    after the request's; `last` was the newest line before the key press)."""
    deadline = time.monotonic() + 10
    answer: str | None = None
    while time.monotonic() < deadline:
        if answer is None:
            entries = list(app.history.log)
            start = next(i for i in range(len(entries) - 1, -1, -1) if entries[i] is last)
            answer = _answer_text(entries[start + 1 :], wanted)
        if answer is not None:
            for at, text in renders[first:]:
                if answer in text:
                    return at
        await asyncio.sleep(0.005)
    raise RuntimeError(f"no answer ({wanted}) shown within 10 s; answer logged: {answer!r}")


def _answer_text(entries: list[Any], wanted: tuple[str, ...]) -> str | None:
    requested = False
    for entry in entries:
        if entry.level == "request":
            requested = True
        elif requested and any(w in entry.text for w in wanted):
            return entry.text
    return None


# Driver ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--preset", default="default")
    parser.add_argument(
        "--sizes", default="1000,100000,1000000", help="history lengths ('': skip the CPU part)"
    )
    parser.add_argument("--window", type=float, default=8.0, help="seconds measured per case")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--trace", type=float, default=3.0, help="tracemalloc seconds (0: off)")
    parser.add_argument("--terminal", choices=("pty", "headless"), default="pty")
    parser.add_argument("--presses", type=int, default=40, help="hotkey presses (0: skip)")
    parser.add_argument(
        "--patch", action="append", default=[], help="a proposed fix (benchmarks/experiments.py)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child), args.result)
        return
    if args.quick:
        args.sizes, args.window, args.settle, args.trace, args.presses = "1000", 2, 1, 1, 8
    recorder = Recorder("ui", args.device, args.json_out, args.wait_quiet)
    cpu_rows = []
    for steps in (int(s) for s in args.sizes.split(",") if s):
        cases = {}
        for live in (False, True):
            spec = {
                "preset": args.preset,
                "steps": steps,
                "live": live,
                "terminal": args.terminal,
                "window": args.window,
                "settle": args.settle,
                "trace_s": args.trace if live else 0.0,
                "patches": args.patch,
            }
            with Contention() as contention:
                cases[live] = result = run_child(spec)
            recorder.emit(
                "ui_cpu",
                history_steps=steps,
                events="live" if live else "idle",
                terminal=args.terminal,
                size=list(SIZE),
                patches=args.patch,
                other_processes_cores=round(contention.others_cores, 3),
                target_core_fraction=CPU_TARGET if live else None,
                met=result["ui_core_fraction"] <= CPU_TARGET if live else None,
                **{k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()},
            )
        idle, busy = cases[False], cases[True]
        cpu_rows.append(
            [
                f"{steps:,}",
                f"{busy['ui_core_fraction']:.1%}",
                f"{idle['ui_core_fraction']:.1%}",
                f"{busy['redraws_per_s']:.1f}",
                f"{busy['history_bytes'] / 2**20:.2f}",
                f"{busy['rss_end_mib']:.0f}",
                f"{busy.get('traced_kept_bytes', 0) / 1024:.0f}",
                verdict(busy["ui_core_fraction"] <= CPU_TARGET),
            ]
        )
    latency_rows = []
    if args.presses > 0:
        apply(args.patch)
        with Contention() as contention:
            samples = asyncio.run(hotkey_latency(args.preset, args.device, args.presses, seed=0))
        groups = {"all": samples}
        for key, name in (("l", "LR down"), ("L", "LR up"), ("p", "pause/resume")):
            groups[name] = [s for s in samples if s["key"] == key]
        for name, group in groups.items():
            seconds = [s["seconds"] for s in group]
            p50, p95 = percentile(seconds, 50), percentile(seconds, 95)
            engine = [s["engine"] for s in group]
            drawing = [s["ui"] for s in group]
            recorder.emit(
                "hotkey_latency",
                keys=name,
                presses=len(seconds),
                patches=args.patch,
                other_processes_cores=round(contention.others_cores, 3),
                p50_ms=round(p50 * 1000, 1),
                p95_ms=round(p95 * 1000, 1),
                max_ms=round(max(seconds) * 1000, 1),
                median_ms=round(median(seconds) * 1000, 1),
                target_p95_ms=LATENCY_TARGET_S * 1000 if name == "all" else None,
                met=p95 < LATENCY_TARGET_S if name == "all" else None,
                samples_ms=[round(s * 1000, 1) for s in seconds],
                engine_p50_ms=round(percentile(engine, 50) * 1000, 1),
                engine_p95_ms=round(percentile(engine, 95) * 1000, 1),
                ui_p50_ms=round(percentile(drawing, 50) * 1000, 1),
                ui_p95_ms=round(percentile(drawing, 95) * 1000, 1),
            )
            met = verdict(p95 < LATENCY_TARGET_S) if name == "all" else ""
            latency_rows.append(
                [
                    name,
                    len(seconds),
                    p50 * 1000,
                    p95 * 1000,
                    max(seconds) * 1000,
                    f"{percentile(engine, 50) * 1000:.0f} / {percentile(engine, 95) * 1000:.0f}",
                    f"{percentile(drawing, 50) * 1000:.0f} / {percentile(drawing, 95) * 1000:.0f}",
                    met,
                ]
            )
    print()
    print(SUMMARY)
    patched = f"; patches: {', '.join(args.patch)}" if args.patch else ""
    if cpu_rows:
        print(f"UI at {SIZE[0]}x{SIZE[1]} on a {args.terminal} terminal{patched}")
        print("target: UI CPU <= 10% of one core")
    headers = ["history steps", "UI CPU live", "idle", "redraws/s", "history MiB", "RSS MiB"]
    if cpu_rows:
        print(table([*headers, "kept KiB", ""], cpu_rows))
    if latency_rows:
        print()
        print(f"hotkey to answer on screen, real trainer on {args.device}{patched}")
        print("target: p95 < 200 ms")
        headers = ["keys", "presses", "p50 ms", "p95 ms", "max ms"]
        parts = ["engine p50/p95", "monitor p50/p95"]
        print(table([*headers, *parts, ""], latency_rows))
        print("engine: press to the answering event; monitor: that event to the screen")


if __name__ == "__main__":
    main()
