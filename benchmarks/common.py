"""Helpers shared by the benchmark scripts: the context of a measurement, JSON lines, tables.

Every script imports this module before torch: importing tuitrain first sets
OMP_WAIT_POLICY=PASSIVE, exactly as in a real run, so bare loops and tuitrain runs measured in
one process share the same OpenMP behaviour and thread settings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

import tuitrain  # first: sets OMP_WAIT_POLICY before torch loads

SUMMARY = "-- summary --"
"""Printed before a script's human-readable tables (gpu.py collects what follows it)."""
LOAD_LIMIT = 1.5
"""Above this 1-minute load average the machine is busy: numbers are flagged, not trusted."""


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    import torch

    found = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": _version("torchvision"),
        "tuitrain": tuitrain.__version__,
        "textual": _version("textual"),
        "cuda": torch.version.cuda,
    }
    lightning = _version("lightning")
    if lightning is not None:
        found["lightning"] = lightning
    return found


def machine(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "host": platform.node(),
        "cpu": _cpu_model(),
        "cores": cores(),
        "memory_gib": _memory_gib(),
        "torch_threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def load_average() -> float:
    return os.getloadavg()[0]


def wait_quiet(max_wait_s: float, out: TextIO = sys.stderr) -> float:
    """Wait (up to max_wait_s) until the 1-minute load average is below LOAD_LIMIT; return it.

    Only meaningful before a script starts working: its own training threads count too.
    """
    deadline = time.monotonic() + max_wait_s
    load = load_average()
    while load > LOAD_LIMIT and time.monotonic() < deadline:
        time.sleep(5)
        load = load_average()
    if load > LOAD_LIMIT:
        print(
            f"warning: load average {load:.2f} > {LOAD_LIMIT} at the start: the machine is "
            "busy, these numbers are not comparable",
            file=out,
        )
    return load


def _machine_busy_ticks() -> int:
    """CPU ticks spent on anything but idle, all cores together, since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
    return user + nice + system + irq + softirq + steal


def _tree_ticks(root: int) -> int:
    """CPU ticks of a process and all its descendants (waited-for ones included)."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        pid, ppid = int(entry.name), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        ticks[pid] = sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += ticks.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class Contention:
    """How many cores other processes used while a measurement ran (from /proc: the machine's
    busy time minus this process tree's). The load average cannot tell: it counts our own
    training threads too."""

    def __init__(self) -> None:
        self.others_cores = float("nan")

    def __enter__(self) -> Contention:
        self._wall = time.perf_counter()
        self._machine, self._ours = _machine_busy_ticks(), _tree_ticks(os.getpid())
        return self

    def __exit__(self, *_: object) -> None:
        wall = time.perf_counter() - self._wall
        machine = _machine_busy_ticks() - self._machine
        ours = _tree_ticks(os.getpid()) - self._ours
        tick = os.sysconf("SC_CLK_TCK")
        self.others_cores = max(0.0, (machine - ours) / tick / wall) if wall > 0 else 0.0


def add_common_args(parser: argparse.ArgumentParser, device: str = "cpu") -> None:
    parser.add_argument("--device", default=device, help="cpu, cuda or cuda:N")
    parser.add_argument("--json-out", type=Path, help="append the JSON lines to this file")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"first wait up to this long for a load average below {LOAD_LIMIT}",
    )


class Recorder:
    """Prints one JSON line per measurement, each with the context needed to trust it."""

    def __init__(
        self, bench: str, device: str, json_out: Path | None, wait_quiet_s: float = 0.0
    ) -> None:
        self.bench = bench
        self.json_out = json_out
        self.start_load = wait_quiet(wait_quiet_s)
        self.context = {
            "load_avg_at_start": round(self.start_load, 2),
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "command": shlex.join(getattr(sys, "orig_argv", [sys.executable, *sys.argv])),
            "device": device,
            "machine": machine(device),
            "versions": versions(),
        }

    def emit(self, measurement: str, **fields: Any) -> dict[str, Any]:
        record = {
            "bench": self.bench,
            "measurement": measurement,
            **fields,
            **self.context,
        }
        line = json.dumps(record, default=str)
        print(line, flush=True)
        if self.json_out is not None:
            self.json_out.parent.mkdir(parents=True, exist_ok=True)
            with self.json_out.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        return record


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain Markdown table (readable in a terminal, pastable into RESULTS.md)."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in text_rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in text_rows)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return "-" if value is None else str(value)


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sync(device: str) -> None:
    """Wait for queued device work, so a clock read means what it says."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
