"""Exact resume: a run stopped anywhere and resumed ends bit-identical to an uninterrupted one."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.conftest import tiny
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import ResumePoint, Trainer
from tuitrain.runs.checkpoint import load_latest
from tuitrain.runs.rundir import RunDirectory

AUGMENTED = {
    "augment": {"crop": {"padding": 2}, "flip": {}, "mixup": {"alpha": 0.4}},
    "model": {"kind": "cnn", "widths": [8, 16], "blocks": 1, "dropout": 0.2},
    "schedule": {"kind": "plateau", "patience": 0},
    "train": {"epochs": 3, "device": "cpu", "report": {"seconds": 0.01}},
}


def finish(trainer: Trainer) -> list[ev.Event]:
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)
    trainer.run()
    return seen


def stop_at(trainer: Trainer, step: int) -> None:
    def stopper(event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress) and event.step >= step:
            trainer.submit(cmd.Stop())

    trainer.subscribe(stopper)


@pytest.mark.parametrize("stop_step", [5, 8, 13])  # mid-epoch, at an epoch's end, later
def test_resume_is_bit_identical(tmp_path: Path, stop_step: int) -> None:
    preset = tiny(**AUGMENTED)
    whole = Trainer(preset)
    finish(whole)

    run = RunDirectory.create(tmp_path, "resume")
    first = Trainer(preset, checkpoints=run)
    stop_at(first, stop_step)
    events = finish(first)
    assert isinstance(events[-1], ev.Finished) and events[-1].status == "stopped"
    stopped_at = events[-1].step

    latest = load_latest(run.checkpoints)
    assert latest.state["progress"]["step"] == stopped_at
    second = Trainer(preset, checkpoints=run, resume=ResumePoint(str(latest.path), latest.state))
    resumed = finish(second)
    notice = next(e for e in resumed if isinstance(e, ev.RunResumed))
    assert notice.exact and notice.step == stopped_at
    assert isinstance(resumed[-1], ev.Finished) and resumed[-1].status == "completed"
    for name, tensor in whole.model_state().items():
        assert torch.equal(tensor, second.model_state()[name]), name
    # The resumed process ends every epoch the checkpoint had not (a stop may land inside an
    # epoch's closing validation, before the epoch is recorded).
    epochs_after = [e.epoch for e in resumed if isinstance(e, ev.EpochEnded)]
    assert epochs_after == list(range(latest.state["progress"]["epoch"] + 1, 4))


def test_the_users_lr_scale_survives_resume(tmp_path: Path) -> None:
    preset = tiny(train={"epochs": 2, "device": "cpu"})
    run = RunDirectory.create(tmp_path, "scale")
    first = Trainer(preset, checkpoints=run)
    first.submit(cmd.ScaleLR(0.5))
    stop_at(first, 3)
    finish(first)
    latest = load_latest(run.checkpoints)
    second = Trainer(preset, checkpoints=run, resume=ResumePoint(str(latest.path), latest.state))
    events = finish(second)
    steps = [e for e in events if isinstance(e, ev.StepProgress)]
    assert steps and all(s.lr == pytest.approx(0.025) for s in steps)


def test_an_epoch_split_by_a_resume_is_timed_as_a_whole(tmp_path: Path) -> None:
    # Stopped late in the epoch: the resumed process trains its last batch or two. The epoch's
    # images (all of them: the meter is carried across) are divided by the training time of
    # both parts, not by the few seconds since the resume.
    # A report after every step, so the stop asked at step 6 lands mid-epoch however fast
    # the machine is (timed reports may skip straight to the epoch's end).
    report = {"seconds": 0.01, "steps": 1}
    preset = tiny(train={"epochs": 1, "device": "cpu", "report": report})
    run = RunDirectory.create(tmp_path, "split")
    first = Trainer(preset, checkpoints=run)
    stop_at(first, 6)
    stopped_at = finish(first)[-1].step
    assert 0 < stopped_at < 8  # mid-epoch (eight batches of 16 make an epoch of 120)
    latest = load_latest(run.checkpoints)
    progress = latest.state["progress"]
    first_part = progress["elapsed"] - progress["epoch_started"]
    assert first_part > 0

    second = Trainer(preset, checkpoints=run, resume=ResumePoint(str(latest.path), latest.state))
    (epoch,) = [e for e in finish(second) if isinstance(e, ev.EpochEnded)]
    assert epoch.epoch_s > first_part
    # No faster than its first part alone could have made it (that part had no validation).
    assert epoch.images_per_s <= 120 / first_part
