import dataclasses
import json
import math

import pytest

from tuitrain.engine import events as ev

SAMPLES = [
    ev.Log(message="drawing shapes"),
    ev.StepProgress(
        step=10,
        epoch=1,
        batch=10,
        batches=50,
        loss=1.5,
        acc=0.4,
        lr=0.05,
        images_per_s=900.0,
        elapsed_s=3.0,
        eta_epoch_s=12.0,
        eta_run_s=100.0,
    ),
    ev.EpochEnded(
        epoch=1,
        epochs=8,
        step=50,
        train_loss=1.2,
        train_acc=0.5,
        val_loss=1.1,
        val_acc=0.55,
        lr=0.05,
        epoch_s=10.0,
        images_per_s=800.0,
        elapsed_s=10.0,
        eta_run_s=70.0,
        best_metric="val_acc",
        best_value=0.55,
        is_best=True,
        fit="ok",
        train_val_gap=-0.05,
    ),
    ev.LRChanged(step=5, lr=0.025, previous=0.05, scale=0.5, source="key", reason="x0.5"),
    ev.Paused(step=3, source="ctl", cmd_id="abc"),
    ev.Finished(
        status="completed",
        step=400,
        epoch=8,
        elapsed_s=99.0,
        best_metric="val_acc",
        best_value=0.8,
    ),
    ev.Failed(error="nan", message="loss is nan", step=7),
]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.type)
def test_every_event_round_trips_through_one_json_line(event: ev.Event) -> None:
    line = event.to_json()
    assert "\n" not in line
    assert json.loads(line)["type"] == event.type
    assert ev.event_from_json(line) == event


def test_non_finite_floats_travel_as_null() -> None:
    event = dataclasses.replace(SAMPLES[1], loss=math.nan, acc=math.inf)  # type: ignore[arg-type]
    data = json.loads(event.to_json())
    assert data["loss"] is None and data["acc"] is None


def test_unknown_fields_from_newer_writers_are_ignored() -> None:
    data = SAMPLES[0].to_dict() | {"added_later": 1}
    assert ev.event_from_dict(data) == SAMPLES[0]


def test_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown event type"):
        ev.event_from_dict({"type": "nope"})


def test_events_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SAMPLES[4].step = 9  # type: ignore[misc]


def test_only_step_events_may_be_dropped() -> None:
    droppable = {name for name, cls in ev.EVENT_TYPES.items() if cls.droppable}
    assert droppable == {"step"}
