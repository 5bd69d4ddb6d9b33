"""Steering a headless run in another process: the attached monitor, and `tuitrain ctl`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.helpers import (
    last_step,
    of_type,
    read_events,
    run_argv,
    the_run_dir,
    tuitrain,
    wait_for_step,
)
from tests.e2e.warm import WarmLauncher, WarmProcess
from tests.ui.screen import shows, until
from tuitrain.config.train import MonitorSettings
from tuitrain.control.attach import attach_link
from tuitrain.ui.attach import AttachApp

SCALE = "your scale on the schedule is now"
SCREEN_S = 30.0  # a real run on a loaded machine answers in its own time


def start_long_run(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> tuple[WarmProcess, Path]:
    out = runs_dir.parent
    process = warm.launch(
        # Stopped by the test; a constant rate, so only the users change it.
        run_argv(runs_dir, epochs=1000, data__size=100, schedule__kind="constant"),
        cwd=out,
        stdout=out / "stdout.txt",
        stderr=out / "stderr.txt",
    )
    processes.append(process)
    run = the_run_dir(runs_dir)
    wait_for_step(run, 3, process.output)
    return process, run


def ctl(run: Path, runs_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tuitrain("ctl", run.name, *args, "--runs-dir", str(runs_dir))


async def test_an_attached_monitor_pauses_lowers_the_lr_and_detaches_leaving_it_training(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    process, run = start_long_run(warm, runs_dir, processes)
    app = AttachApp(attach_link("e2e", runs_dir), MonitorSettings(refresh_hz=10), "e2e")
    async with app.run_test(size=(100, 30)) as pilot:
        await shows(pilot, "RUNNING", timeout=SCREEN_S)
        await pilot.press("p")
        await shows(pilot, "PAUSED", "paused at step", timeout=SCREEN_S)
        await pilot.press("p")
        # The event log shows three lines and the run fills it fast: ask the run directory.
        await until(pilot, lambda: of_type(read_events(run), "resumed"), SCREEN_S)
        await shows(pilot, "RUNNING", timeout=SCREEN_S)
        await pilot.press("l")
        await until(pilot, lambda: of_type(read_events(run), "lr"), SCREEN_S)
        await shows(pilot, "by you (attach)", timeout=SCREEN_S)
        await pilot.press("d")
    assert app.return_code == 0
    assert process.poll() is None

    events = read_events(run)
    [paused] = of_type(events, "paused")
    [resumed] = of_type(events, "resumed")
    [lowered] = of_type(events, "lr")
    assert {paused["source"], resumed["source"], lowered["source"]} == {"attach"}
    assert paused["step"] == resumed["step"] <= lowered["step"]
    between = events[events.index(paused) : events.index(resumed)]
    assert [e for e in of_type(between, "step") if e["step"] > paused["step"]] == []
    assert lowered["lr"] == pytest.approx(lowered["previous"] * 0.5)
    assert lowered["reason"] == "x0.5"

    # Detached, it trains on at the lower rate, then ends as asked.
    after = wait_for_step(run, lowered["step"] + 10, process.output)
    assert after["lr"] == pytest.approx(lowered["lr"])
    assert ctl(run, runs_dir, "stop").returncode == 0
    assert process.wait(60) == 0, process.output()
    assert read_events(run)[-1]["status"] == "stopped"


def test_ctl_round_trip_against_a_real_run(
    warm: WarmLauncher, runs_dir: Path, processes: list[WarmProcess]
) -> None:
    process, run = start_long_run(warm, runs_dir, processes)

    paused = ctl(run, runs_dir, "pause")
    assert (paused.returncode, paused.stderr) == (0, ""), paused.stderr
    said = re.fullmatch(r"paused at step (\d+)\n", paused.stdout)
    assert said is not None, paused.stdout
    step = int(said[1])
    # A paused run still applies everything but another pause; nothing trains meanwhile.
    answers = {
        ("lr-scale", "0.5"): rf"learning rate \S+ -> \S+ \(x0\.5\) at step {step}; {SCALE} x0\.5\n",
        (
            "lr",
            "0.01",
        ): rf"learning rate \S+ -> 0\.01 \(set to 0\.01\) at step {step}; {SCALE} \S+\n",
        ("checkpoint",): rf"checkpoint saved: {re.escape(str(run))}/checkpoints/last\.pt "
        rf"\(step {step}\)\n",
        ("validate",): rf"validated at step {step}: val loss \d+\.\d+, val acc \d+\.\d%\n",
        ("resume",): rf"resumed at step {step} after \d+:\d\d paused\n",
    }
    for args, answer in answers.items():
        result = ctl(run, runs_dir, *args)
        if args == ("validate",) and result.returncode == 1:
            # The pause landed between the batches of an epoch's own validation: that one
            # finishes on resume, and another is refused at once rather than left waiting.
            refusal = f"tuitrain ctl: {run.name} refused validate: paused in the middle of"
            assert result.stderr.startswith(refusal), result.stderr
            continue
        assert result.returncode == 0, (args, result.stderr)
        assert re.fullmatch(answer, result.stdout), (args, result.stdout)

    refused = ctl(run, runs_dir, "resume")
    assert refused.returncode == 1
    assert refused.stderr == f"tuitrain ctl: {run.name} refused resume: not paused\n"

    wait_for_step(run, step + 5, process.output)  # training again, at the rate set
    stopped = ctl(run, runs_dir, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert re.fullmatch(r"stopped at step \d+ \(\d+ epochs complete\)\n", stopped.stdout)
    assert process.wait(60) == 0, process.output()

    gone = ctl(run, runs_dir, "pause")
    assert gone.returncode == 3
    assert gone.stderr.strip().endswith("is not running (status: stopped)")

    events = read_events(run)
    answered = [e for e in events if e.get("source") == "ctl"]
    validated = "rejected" if answered[4]["type"] == "rejected" else "validated"  # see above
    assert [e["type"] for e in answered] == [
        "paused", "lr", "lr", "checkpoint", validated, "resumed", "rejected", "finished",
    ]  # fmt: skip
    assert [e["step"] for e in answered[:6]] == [step] * 6
    assert last_step(run) > step
    assert [e["lr"] for e in of_type(events, "step") if e["step"] > step + 1][-1] == 0.01
