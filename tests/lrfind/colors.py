"""A tiny image folder that a small network learns within a hundred steps: four classes of
noisy solid colours, 8x8 pixels. Noisy enough that it is not solved before the rate is high,
so the range test has a dip, a bottom and a blow-up to find."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

COLORS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40)]


def color_folder(root: Path, per_class: int = 48, noise: float = 150.0) -> Path:
    rng = np.random.default_rng(0)
    for c, color in enumerate(COLORS):
        folder = root / f"c{c}"
        folder.mkdir(parents=True)
        for i in range(per_class):
            pixels = np.array(color)[None, None, :] + rng.normal(0, noise, (8, 8, 3))
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")
    return root


def color_sections(root: Path, **optim: Any) -> dict[str, Any]:
    """Preset sections (for tests.conftest.tiny) training on the colour folder."""
    return {
        "data": {
            "kind": "imagefolder",
            "root": str(root),
            "image_size": 8,
            "val_split": 0.0,
            "batch_size": 16,
        },
        "model": {"kind": "cnn", "widths": [8], "blocks": 1},
        "optim": optim or {"kind": "sgd", "lr": 0.1, "momentum": 0.9},
    }


def color_overrides(root: Path) -> list[str]:
    """The same as --set arguments on `default`."""
    sets = [
        "data.kind=imagefolder",
        f"data.root={root}",
        "data.image_size=8",
        "data.val_split=0.25",
        "data.batch_size=16",
        "model.widths=[8]",
        "model.blocks=1",
        "train.device=cpu",
        "train.epochs=1",
    ]
    return [arg for value in sets for arg in ("--set", value)]
