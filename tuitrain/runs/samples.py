"""Pictures a run saves in `samples/`: the arrays the monitor reads, a PNG for people.

`samples/<kind>.npz` holds `images` (uint8 N x H x W x 3), `labels`, `predicted`, `confidence`,
`total` (see `tuitrain.pictures.tiles.Pictures`) and the run's `class_names`;
`samples/<kind>.png` is the same as a captioned grid. Both are replaced atomically at every
validation, so a reader never sees half.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from tuitrain.pictures.sheet import render_sheet
from tuitrain.pictures.tiles import Pictures, Tile
from tuitrain.runs.atomic import atomic_write
from tuitrain.runs.files import SAMPLES

VAL_MISTAKES = "val_mistakes"
TRAIN_BATCH = "train_batch"
GRID_COLUMNS = 8


def caption(kind: str, pictures: Pictures, k: int, names: list[str]) -> str:
    """'cat → dog 91%' for a mistake; 'cat' or 'cat 70% + dog 30%' for a training image."""

    def name(index: int) -> str:
        return names[index] if 0 <= index < len(names) else str(index)

    label, other, share = pictures.labels[k], pictures.predicted[k], pictures.confidence[k]
    if kind == VAL_MISTAKES:
        return f"{name(label)} → {name(other)} {share:.0%}"
    if other < 0:
        return name(label)
    return f"{name(label)} {share:.0%} + {name(other)} {1 - share:.0%}"


def tiles(kind: str, pictures: Pictures, names: list[str]) -> list[Tile]:
    return [
        Tile(pictures.images[k], caption(kind, pictures, k, names))
        for k in range(len(pictures.labels))
    ]


def write_samples(run_dir: Path, kind: str, pictures: Pictures, names: list[str]) -> str:
    """Save one kind of pictures; returns the .npz path relative to the run directory."""
    folder = run_dir / SAMPLES
    folder.mkdir(exist_ok=True)
    arrays: dict[str, Any] = {
        "images": pictures.images,
        "labels": np.asarray(pictures.labels, dtype=np.int64),
        "predicted": np.asarray(pictures.predicted, dtype=np.int64),
        "confidence": np.asarray(pictures.confidence, dtype=np.float32),
        "total": np.asarray(pictures.total, dtype=np.int64),
        "class_names": np.asarray(names, dtype=np.str_),
    }
    atomic_write(folder / f"{kind}.npz", lambda handle: np.savez(handle, **arrays))
    shown = tiles(kind, pictures, names)
    if shown:
        grid = [shown[i : i + GRID_COLUMNS] for i in range(0, len(shown), GRID_COLUMNS)]
        buffer = io.BytesIO()
        render_sheet(grid).save(buffer, format="PNG")
        atomic_write(folder / f"{kind}.png", lambda handle: handle.write(buffer.getvalue()))
    return f"{SAMPLES}/{kind}.npz"


def read_samples(path: Path) -> tuple[Pictures, list[str]] | None:
    """The pictures saved at `path` and the run's class names, or None when the file is
    missing or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            pictures = Pictures(
                images=saved["images"],
                labels=saved["labels"].tolist(),
                predicted=saved["predicted"].tolist(),
                confidence=saved["confidence"].tolist(),
                total=int(saved["total"]),
            )
            names = saved["class_names"].tolist() if "class_names" in saved else []
            return pictures, [str(name) for name in names]
    except (OSError, ValueError, KeyError):
        return None
