"""Every bundled preset that needs no download trains: one short epoch each, in-process."""

from __future__ import annotations

import math

import pytest

from tuitrain.config.bundled import bundled_presets
from tuitrain.config.loader import load_preset
from tuitrain.engine import events as ev
from tuitrain.engine.trainer import Trainer

SHRINK = [
    "data.size=64",  # 51 training images: 4 steps of 16
    "data.image_size=16",
    "data.batch_size=16",
    "model.widths=[8,16]",  # every preset here is a cnn; groups of 8 still divide these
    "train.epochs=1",
    "train.device=cpu",
]
EXTRA = {"warmup-cosine": ["schedule.warmup_epochs=0.5"]}  # the warmup must end before the run


def trainable_here() -> list[str]:
    """The bundled presets on the embedded shapes (the rest download a torchvision set)."""
    names = [name for name, _ in bundled_presets()]
    return [name for name in names if load_preset(name).preset.data.kind == "shapes"]


def test_the_presets_left_out_are_the_downloading_gpu_recipes() -> None:
    left_out = {name for name, _ in bundled_presets()} - set(trainable_here())
    assert left_out == {"cifar10-fast", "cifar10-resnet18", "mnist", "fashion-mnist"}


@pytest.mark.parametrize("name", trainable_here())
def test_the_preset_trains_an_epoch_to_finite_losses(name: str) -> None:
    loaded = load_preset(name, [*SHRINK, *EXTRA.get(name, [])])
    seen: list[ev.Event] = []
    trainer = Trainer(loaded.preset, name=name, resolved=loaded.resolved)
    trainer.subscribe(seen.append)
    result = trainer.run()
    assert isinstance(result, ev.Finished), result
    assert (result.status, result.epoch) == ("completed", 1)
    [epoch] = [e for e in seen if isinstance(e, ev.EpochEnded)]
    losses = (epoch.train_loss, epoch.val_loss)
    assert all(loss is not None and math.isfinite(loss) for loss in losses), losses
