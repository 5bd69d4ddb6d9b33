"""The training loop, driven for real on tiny data."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from tests.conftest import tiny
from tuitrain.engine import commands as cmd
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer


def run(trainer: Trainer) -> list[ev.Event]:
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)
    trainer.run()
    return seen


def of(events: list[ev.Event], kind: type[ev.Event]) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_a_run_reports_start_progress_epochs_and_the_end(tiny_preset) -> None:
    events = run(Trainer(tiny_preset, name="tiny"))
    started = of(events, ev.RunStarted)[0]
    assert started.train_size == 120 and started.val_size == 40 and started.num_classes == 10
    assert started.image_shape == (3, 16, 16) and started.steps_per_epoch == 8
    epochs = of(events, ev.EpochEnded)
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(0 <= e.val_acc <= 1 and e.train_loss > 0 for e in epochs)
    assert epochs[-1].step == 16
    steps = of(events, ev.StepProgress)
    assert steps and all(s.loss == s.loss for s in steps)  # no NaN
    finished = events[-1]
    assert isinstance(finished, ev.Finished) and finished.status == "completed"
    assert finished.step == 16 and finished.epoch == 2


def test_training_reduces_the_loss() -> None:
    events = run(Trainer(tiny(train={"epochs": 4}), name="tiny"))
    epochs = of(events, ev.EpochEnded)
    assert epochs[-1].train_loss < epochs[0].train_loss


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.model_state().items()}


def test_pausing_and_resuming_changes_nothing() -> None:
    preset = tiny(train={"report": {"seconds": 60, "steps": 1}})  # a report on every step
    plain = Trainer(preset)
    plain.run()

    paused = Trainer(preset)
    pauses = []

    def pause_now_and_then(event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress) and event.step % 5 == 0 and len(pauses) < 3:
            pauses.append(event.step)
            paused.submit(cmd.Pause())
            threading.Timer(0.05, paused.submit, [cmd.Resume()]).start()

    paused.subscribe(pause_now_and_then)
    events = run(paused)
    assert len(of(events, ev.Paused)) == len(of(events, ev.Resumed)) == 3
    for name, tensor in weights(plain).items():
        assert torch.equal(tensor, weights(paused)[name]), name


def test_a_paused_run_waits_without_stepping(tiny_preset) -> None:
    trainer = Trainer(tiny_preset)
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)
    trainer.submit(cmd.Pause())
    trainer.start()
    assert not trainer.join(timeout=0.5)
    paused = of(seen, ev.Paused)
    assert paused and paused[0].step == 0 and not of(seen, ev.StepProgress)
    # A paused run holds no CPU: the loop sleeps on its command queue, it does not poll.
    cpu_before = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - cpu_before < 0.05
    trainer.submit(cmd.Resume())
    assert trainer.join(timeout=60)
    assert isinstance(trainer.result, ev.Finished)


def test_lowering_the_lr_twice_quarters_it(tiny_preset) -> None:
    trainer = Trainer(tiny_preset)
    trainer.submit(cmd.ScaleLR(0.5, source="key"))
    trainer.submit(cmd.ScaleLR(0.5, source="key"))
    events = run(trainer)
    changes = of(events, ev.LRChanged)
    assert [c.lr for c in changes] == pytest.approx([0.025, 0.0125])
    assert [c.source for c in changes] == ["key", "key"] and changes[-1].scale == 0.25
    assert all(s.lr == pytest.approx(0.0125) for s in of(events, ev.StepProgress))


def test_set_lr_scales_the_schedule_from_then_on() -> None:
    preset = tiny(schedule={"kind": "cosine"})
    trainer = Trainer(preset)
    trainer.submit(cmd.SetLR(0.01))
    events = run(trainer)
    change = of(events, ev.LRChanged)[0]
    assert change.lr == pytest.approx(0.01) and change.scale == pytest.approx(0.2)
    lrs = [s.lr for s in of(events, ev.StepProgress)]
    assert lrs == sorted(lrs, reverse=True) and lrs[0] <= 0.01


def test_commands_that_cannot_apply_are_rejected_with_a_reason(tiny_preset) -> None:
    trainer = Trainer(tiny_preset)
    resume, save = cmd.Resume(source="ctl"), cmd.Checkpoint(source="ctl")
    trainer.submit(resume)
    trainer.submit(save)
    events = run(trainer)
    rejected = {r.cmd_id: r.reason for r in of(events, ev.CommandRejected)}
    assert rejected[resume.id] == "not paused"
    assert "no run directory" in rejected[save.id]
    assert isinstance(events[-1], ev.Finished)


def test_validate_now_answers_with_its_command_id(tiny_preset) -> None:
    trainer = Trainer(tiny_preset)
    request = cmd.Validate(source="key")
    trainer.submit(request)
    events = run(trainer)
    answer = [v for v in of(events, ev.Validated) if v.cmd_id == request.id]
    assert len(answer) == 1 and answer[0].source == "key" and answer[0].step == 0


def test_stop_ends_the_run_at_a_step_boundary() -> None:
    trainer = Trainer(tiny(train={"epochs": 50}))
    stop = cmd.Stop(source="key")

    def stop_at_step_3(event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress) and event.step >= 3:
            trainer.submit(stop)

    trainer.subscribe(stop_at_step_3)
    events = run(trainer)
    finished = events[-1]
    assert isinstance(finished, ev.Finished) and finished.status == "stopped"
    assert finished.cmd_id == stop.id and finished.step < 50 * 8


def poison_at(trainer: Trainer, steps: set[int]) -> None:
    """Make the model's output NaN on the given training steps."""
    calls = {"n": 0}

    def hook(module, inputs, output):
        if module.training:
            calls["n"] += 1
            if calls["n"] in steps:
                return output * float("nan")
        return output

    def arm(event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):
            trainer.setup.model.register_forward_hook(hook)

    trainer.subscribe(arm)


def test_a_nan_loss_rolls_back_and_lowers_the_lr() -> None:
    trainer = Trainer(tiny(train={"epochs": 2, "nan": {"max_rollbacks": 2}}))
    poison_at(trainer, {11})
    events = run(trainer)
    assert [w.category for w in of(events, ev.Warned)].count("nan") == 1
    nan_changes = [c for c in of(events, ev.LRChanged) if c.source == "nan"]
    assert len(nan_changes) == 1 and nan_changes[0].lr == pytest.approx(0.025)
    assert nan_changes[0].step == 8  # back to the end of the first epoch
    finished = events[-1]
    assert isinstance(finished, ev.Finished) and finished.status == "completed"
    assert all(e.train_loss == e.train_loss for e in of(events, ev.EpochEnded))


def test_nan_with_the_stop_policy_fails_clearly() -> None:
    trainer = Trainer(tiny(train={"nan": {"policy": "stop"}}))
    poison_at(trainer, {3})
    events = run(trainer)
    failed = events[-1]
    assert isinstance(failed, ev.Failed) and failed.error == "nan"
    assert "policy is stop" in failed.message and not failed.traceback


def test_out_of_memory_names_the_batch_size(tiny_preset, monkeypatch) -> None:
    trainer = Trainer(tiny_preset)

    def explode(event: ev.Event) -> None:
        if isinstance(event, ev.RunStarted):

            def oom(*args, **kwargs):
                raise torch.OutOfMemoryError("CUDA out of memory")

            trainer.setup.forward = oom

    trainer.subscribe(explode)
    failed = run(trainer)[-1]
    assert isinstance(failed, ev.Failed) and failed.error == "out_of_memory"
    assert "batch size 16" in failed.message and "data.batch_size=8" in failed.message


def test_an_unexpected_error_fails_the_run_with_its_traceback(tiny_preset) -> None:
    trainer = Trainer(tiny_preset)

    def explode(event: ev.Event) -> None:
        if isinstance(event, ev.StepProgress):
            trainer.setup.forward = None  # type: ignore[assignment]

    trainer.subscribe(explode)
    trainer.start()
    assert trainer.join(timeout=60)
    assert isinstance(trainer.result, ev.Failed)
    assert trainer.result.error == "TypeError" and "Traceback" in trainer.result.traceback


def test_commands_apply_between_validation_batches() -> None:
    trainer = Trainer(tiny(data={"eval_batch_size": 2}, train={"epochs": 1}))
    during: list[ev.Event] = []
    order: list[str] = []

    def on_event(event: ev.Event) -> None:
        order.append(event.type)
        if isinstance(event, ev.StepProgress) and event.batch == event.batches:
            trainer.submit(cmd.Validate())  # the epoch-end validation runs next
            trainer.submit(cmd.ScaleLR(0.5))
        if isinstance(event, ev.LRChanged):
            during.append(event)

    trainer.subscribe(on_event)
    trainer.run()
    # The LR change lands inside the epoch-end validation (before its result), while the
    # second validation request waits for a step boundary.
    assert len(during) == 1
    first_validated = order.index("validated")
    assert order.index("lr") < first_validated
    assert order.count("validated") == 2


def answer_to(command: cmd.Command, seen: list[ev.Event], what: str) -> ev.Event:
    """The event answering `command`, waiting up to 30 s for the trainer thread to send it."""
    deadline = time.monotonic() + 30
    while True:
        answers = [e for e in list(seen) if getattr(e, "cmd_id", None) == command.id]
        if answers:
            return answers[0]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_validate_while_paused_runs_through(tiny_preset) -> None:
    trainer = Trainer(tiny(data={"eval_batch_size": 2}))
    seen: list[ev.Event] = []
    trainer.subscribe(seen.append)
    trainer.submit(cmd.Pause())
    request = cmd.Validate()
    trainer.submit(request)
    trainer.start()
    answer_to(request, seen, "validation while paused never finished")
    trainer.submit(cmd.Resume())
    assert trainer.join(timeout=60) and isinstance(trainer.result, ev.Finished)


def test_a_validate_request_while_held_mid_validation_is_answered_not_parked() -> None:
    trainer = Trainer(tiny(data={"eval_batch_size": 2}, train={"report": {"steps": 1}}))
    seen: list[ev.Event] = []
    held, again = cmd.Pause(), cmd.Validate()
    sent: list[cmd.Command] = []

    def pause_as_the_epoch_ends(event: ev.Event) -> None:
        seen.append(event)
        if isinstance(event, ev.StepProgress) and event.batch == event.batches and not sent:
            sent.append(held)
            trainer.submit(held)  # lands between the batches of the epoch's validation
            trainer.submit(again)

    trainer.subscribe(pause_as_the_epoch_ends)
    trainer.start()
    answer = answer_to(again, seen, "the validate request was never answered")
    assert isinstance(answer, ev.CommandRejected) and "middle of a validation" in answer.reason
    assert not of(seen, ev.EpochEnded)  # still held inside the first epoch's validation
    trainer.submit(cmd.Resume())
    assert trainer.join(timeout=60) and isinstance(trainer.result, ev.Finished)
    assert of(seen, ev.Validated)[0].source == "schedule"
