"""Benchmark variants of bundled presets: synthetic data, exact sizes, no work outside the loop.

Every benchmark trains on the embedded shapes dataset (uint8, 10 classes, no download), so a
preset that names CIFAR-10 or MNIST gets shapes of the same image size instead: CIFAR-shaped
synthetic data. The drawing is cached per process, because drawing 50,000 images costs seconds
and is set-up, not what is measured.
"""

from __future__ import annotations

import copy
import functools
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


def synthetic_data(
    data: dict[str, Any], train_images: int, val_images: int | None, image_size: int | None
) -> dict:
    """The data section on shapes with exactly `train_images` training images (so an epoch
    has a known number of steps) and `val_images` validation images (default: a quarter as
    many, the 80/20 split of the default preset)."""
    size = image_size or data.get("image_size") or _SIZES.get(data["kind"], 32)
    shapes = {k: data[k] for k in _COMMON_DATA_KEYS if k in data}
    val = val_images if val_images is not None else train_images // 4
    # Per-class rounding of the split can leave a few images short: draw two batches more.
    total = train_images + val + 2 * data["batch_size"]
    shapes |= {
        "kind": "shapes",
        "size": total,
        "image_size": size,
        "val_split": round(val / total, 6),
        "train_subset": train_images,
        "val_subset": val,
        "seed": data.get("seed", 0),
    }
    return shapes


def bench_preset(
    name: str,
    device: str,
    *,
    epochs: int,
    steps_per_epoch: int | None = None,
    train_images: int | None = None,
    val_images: int | None = None,
    image_size: int | None = None,
    quiet_epochs: bool = True,
    overrides: tuple[str, ...] = (),
) -> BenchPreset:
    """`name` with `epochs` epochs on synthetic data: `steps_per_epoch` full batches, or
    `train_images` images.

    quiet_epochs: validation only after the last epoch and no checkpoints before the end, so a
    window that ends at the last step contains training and the engine's own work only.
    """
    loaded = load_preset(name, overrides)
    tree = copy.deepcopy(loaded.resolved)
    tree.pop("extends", None)
    if train_images is None:
        if steps_per_epoch is None:
            raise ValueError("give steps_per_epoch or train_images")
        train_images = steps_per_epoch * tree["data"]["batch_size"]
    tree["data"] = synthetic_data(tree["data"], train_images, val_images, image_size)
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
