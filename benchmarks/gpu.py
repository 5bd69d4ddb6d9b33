"""Every benchmark on a CUDA machine, in one command, within about 5 minutes.

    python -m benchmarks.gpu --out "$OUT"                 # on the GPU machine
    python -m benchmarks.gpu --out /tmp/b --device cpu --quick   # the same code paths on CPU

Runs, each as its own process, with a share of the time budget:
  overhead        bare loop vs engine headless vs engine + monitor, preset cifar10-fast
  pipeline        in-memory batched augmentation vs DataLoader + v2, 32 and 64 px
  epoch           time per epoch of cifar10-fast on CIFAR-shaped synthetic data (50k + 10k)
  lightning_fit   Lightning over the DataLoader path vs tuitrain (skipped without lightning)
  ui              monitor CPU and memory with long histories; hotkey latency (GPU trainer)

Installs nothing: the packages tuitrain needs must be importable (see README.md for carrying
them as wheels). Writes under --out: results.jsonl (every measurement as a JSON line),
summary.md (each benchmark's table) and log.txt (everything printed).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import SUMMARY

ROOT = Path(__file__).resolve().parents[1]
NEEDED = ("torch", "torchvision", "textual", "textual_plotext", "pydantic", "yaml", "numpy")

# (name, module, arguments, seconds): each step's share of the 5-minute budget.
STEPS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("overhead", "benchmarks.overhead", ("--preset", "{preset}", "--rounds", "3"), 75),
    ("pipeline", "benchmarks.pipeline", ("--repeats", "3"), 45),
    ("epoch", "benchmarks.epoch", ("--preset", "{preset}"), 45),
    ("lightning", "benchmarks.lightning_fit", ("--preset", "{preset}", "--epochs", "3"), 60),
    (
        "ui",
        "benchmarks.ui",
        ("--sizes", "1000,1000000", "--window", "4", "--trace", "2", "--presses", "20"),
        70,
    ),
)


def missing_packages() -> list[str]:
    return [name for name in NEEDED if importlib.util.find_spec(name) is None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the results")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--preset", help="default: cifar10-fast on CUDA, default on CPU")
    parser.add_argument("--quick", action="store_true", help="smoke-test every step quickly")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for everything")
    parser.add_argument("--only", help="comma-separated step names to run")
    args = parser.parse_args()
    missing = missing_packages()
    if missing:
        sys.exit(
            f"missing Python packages: {', '.join(missing)}; this script installs nothing "
            "(benchmarks/README.md: carry them as wheels)"
        )
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            sys.exit("no CUDA device visible to torch (use --device cpu to smoke-test)")
    preset = args.preset or ("cifar10-fast" if args.device.startswith("cuda") else "default")
    args.out.mkdir(parents=True, exist_ok=True)
    results, log_path, summary = args.out / "results.jsonl", args.out / "log.txt", []
    deadline = time.monotonic() + args.budget
    only = set(args.only.split(",")) if args.only else None
    with log_path.open("a", encoding="utf-8") as log:
        for name, module, extra, seconds in STEPS:
            if only is not None and name not in only:
                continue
            left = deadline - time.monotonic()
            if left < 10:
                summary.append(f"## {name}\n\nskipped: the time budget was spent\n")
                continue
            command = [sys.executable, "-m", module, "--device", args.device]
            command += ["--json-out", str(results), *(a.format(preset=preset) for a in extra)]
            if args.quick:
                command.append("--quick")
            summary.append(run_step(name, command, min(left, seconds * 2), log))
            (args.out / "summary.md").write_text("\n".join(summary))
    print("\n".join(summary))


def run_step(name: str, command: list[str], timeout: float, log: object) -> str:
    """Run one benchmark; its printed table (the lines that are not JSON) goes in the summary."""
    started = time.monotonic()
    print(f"== {name}: {' '.join(command)}", file=log, flush=True)  # type: ignore[arg-type]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        output, status = done.stdout, f"exit {done.returncode}"
    except subprocess.TimeoutExpired as exc:
        raw = exc.stdout or b""
        output = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
        status = f"stopped after {timeout:.0f} s"
    log.write(output)  # type: ignore[attr-defined]
    log.flush()  # type: ignore[attr-defined]
    _, marker, tail = output.rpartition(SUMMARY)
    human = [line for line in tail.splitlines() if not line.startswith("{")] if marker else []
    took = time.monotonic() - started
    header = f"## {name} ({status}, {took:.0f} s)\n\n`{' '.join(command[1:])}`\n"
    return header + "\n" + "\n".join(human) + "\n"


if __name__ == "__main__":
    main()
