"""Benchmark variants of bundled presets: synthetic data, exact sizes, no work outside the loop.

Every benchmark trains on the embedded shapes dataset (uint8, 10 classes, no download), so a
preset that names CIFAR-10 or MNIST gets shapes of the same image size instead: CIFAR-shaped
synthetic data. The drawing is cached per process, because drawing 50,000 images costs seconds
and is set-up, not what is measured.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any

from tuitrain.config.loader import load_preset
from tuitrain.config.preset import Preset
from tuitrain.data import sources

_COMMON_DATA_KEYS = (
    "batch_size",
    "eval_batch_size",
    "shuffle",
    "drop_last",
    "workers",
    "loader",
    "normalize",
)
_SIZES = {"cifar10": 32, "cifar100": 32, "mnist": 28, "fashion_mnist": 28}
_VAL_FRACTION = 0.2
NEVER = 1_000_000
"""An epoch interval no benchmark reaches: validations and checkpoints stay out of the loop."""


@dataclass(frozen=True)
class BenchPreset:
    name: str
    preset: Preset
    resolved: dict[str, Any]

    @property
    def batch_size(self) -> int:
        return self.preset.data.batch_size


def cache_shapes() -> None:
    """Draw each shapes dataset once per process (the loaders only read the images)."""
    if not hasattr(sources.draw_shapes, "cache_info"):
        sources.draw_shapes = functools.cache(sources.draw_shapes)  # type: ignore[assignment]


def synthetic_data(data: dict[str, Any], train_images: int, image_size: int | None) -> dict:
    """The data section on shapes: `train_images` training images (an exact number, so epochs
    have a known number of steps) and a fifth as many validation images."""
    size = image_size or data.get("image_size") or _SIZES.get(data["kind"], 32)
    shapes = {k: data[k] for k in _COMMON_DATA_KEYS if k in data}
    # Per-class rounding of the split can leave a few images short: draw a batch more.
    total = math.ceil(train_images / (1 - _VAL_FRACTION)) + 2 * data["batch_size"]
    shapes |= {
        "kind": "shapes",
        "size": total,
        "image_size": size,
        "val_split": _VAL_FRACTION,
        "train_subset": train_images,
        "seed": data.get("seed", 0),
    }
    return shapes


def bench_preset(
    name: str,
    device: str,
    *,
    steps_per_epoch: int,
    epochs: int,
    image_size: int | None = None,
    quiet_epochs: bool = True,
    overrides: tuple[str, ...] = (),
) -> BenchPreset:
    """`name` with `epochs` epochs of exactly `steps_per_epoch` steps on synthetic data.

    quiet_epochs: validation only after the last epoch and no checkpoints before the end, so a
    window that ends at the last step contains training and the engine's own work only.
    """
    loaded = load_preset(name, overrides)
    tree = copy.deepcopy(loaded.resolved)
    tree.pop("extends", None)
    batch = tree["data"]["batch_size"]
    tree["data"] = synthetic_data(tree["data"], steps_per_epoch * batch, image_size)
    train = tree.setdefault("train", {})
    train |= {"epochs": epochs, "device": device}
    if quiet_epochs:
        train["val_every_epochs"] = NEVER
        train.pop("val_every_steps", None)
        train.setdefault("checkpoint", {})
        train["checkpoint"] = {**train["checkpoint"], "every_epochs": NEVER, "keep_best": False}
        train.pop("early_stopping", None)
    preset = Preset.model_validate(tree)
    return BenchPreset(name=loaded.name, preset=preset, resolved=preset.model_dump(mode="json"))
