"""Layer health in real tiny runs: the layers event, the warnings that name a layer, and a run
without normalization at a high rate told apart from default at the same rate and seed."""

from __future__ import annotations

import pytest

from tuitrain.config.loader import load_preset
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer
from tuitrain.layer_checks import diagnose

SETTINGS = [
    "data.size=320",
    "data.image_size=16",
    "data.batch_size=16",
    "train.epochs=2",
    "train.device=cpu",
    "train.diagnose.layers_every=4",
    "train.report.seconds=0.01",
    "optim.lr=1.0",  # 20 times default's rate
]


def train(preset: str) -> list[ev.Event]:
    trainer = Trainer(load_preset(preset, SETTINGS).preset, name=preset)
    events: list[ev.Event] = []
    trainer.subscribe(events.append)
    trainer.run()
    return events


@pytest.fixture(scope="module")
def default_run() -> list[ev.Event]:
    return train("default")


def test_nonorm_at_a_high_rate_warns_of_exploding_gradients_naming_a_layer(
    default_run: list[ev.Event],
) -> None:
    warned = [e for e in train("nonorm") if isinstance(e, ev.Warned)]
    signal = [w for w in warned if w.category in ("exploding", "vanishing")]
    assert signal, [w.message for w in warned]
    assert all(w.layer and w.layer in w.message for w in signal)
    layers = {
        reading.name for e in default_run if isinstance(e, ev.LayersSampled) for reading in e.layers
    }
    assert {w.layer for w in signal} <= layers  # the names are the model's own
    default_warned = [e for e in default_run if isinstance(e, ev.Warned)]
    assert not [w for w in default_warned if w.category in ("exploding", "vanishing")]


def test_samples_come_every_interval_after_the_step_they_describe(
    default_run: list[ev.Event],
) -> None:
    samples = [e for e in default_run if isinstance(e, ev.LayersSampled)]
    assert [s.step for s in samples] == list(range(4, 32, 4))  # 32 steps: 0 to 31
    first = samples[0]
    assert first.layers[0].name == "stages.0.0"
    assert first.layers[-1].kind == "linear" and first.layers[-1].zeros is None
    position = default_run.index(first)
    after = next(e for e in default_run[position:] if isinstance(e, ev.StepProgress))
    assert after.step > first.step  # read back with the report that follows the sample


def test_a_healthy_reading_raises_nothing_and_each_problem_its_warning() -> None:
    def reading(name: str, **values: float | None) -> ev.LayerReading:
        base = dict(
            out_mean=0.0,
            out_std=1.0,
            zeros=0.5,
            dead=0.0,
            grad_norm=0.1,
            weight_norm=1.0,
            update_ratio=1e-3,
        )
        return ev.LayerReading(name=name, kind="conv", **{**base, **values})  # type: ignore[arg-type]

    assert diagnose([reading("a"), reading("b")]) == []
    found = diagnose([reading("a", grad_norm=1e-6), reading("b", dead=0.9, update_ratio=0.5)])
    assert {(category, layer) for category, layer, _ in found} == {
        ("vanishing", "a"),
        ("dead", "b"),
        ("update_ratio", "b"),
    }
    exploding = diagnose([reading("a"), reading("c", grad_norm=float("inf"))])
    assert [(category, layer) for category, layer, _ in exploding] == [("exploding", "c")]
