"""Datasets of your own, for `data: {kind: python, target: "datasets.py:rings"}`.

The target returns the train and validation sets (and, optionally, the class names); each is
a map-style Dataset of (image, label): here uint8 tensors C x H x W and int labels.
"""

from __future__ import annotations

import math

import torch
from torch.utils.data import Dataset

CLASSES = ("one ring", "two rings", "three rings", "a disc")


class Rings(Dataset):
    """Concentric rings (1, 2 or 3) or a filled disc, at a random place, on noise."""

    def __init__(self, count: int, size: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, len(CLASSES), (count,), generator=g)
        self.centers = torch.rand(count, 2, generator=g) * 0.4 + 0.3
        self.radii = torch.rand(count, generator=g) * 0.15 + 0.2
        self.noise = torch.rand(count, 3, size, size, generator=g) * 0.3
        ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
        self.grid = torch.stack([ys, xs]).float() / size

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        label = int(self.labels[index])
        center = self.centers[index].view(2, 1, 1)
        distance = (self.grid - center).pow(2).sum(0).sqrt() / self.radii[index]
        if label == 3:
            shape = (distance < 1).float()
        else:
            rings = label + 1  # ridges of a cosine, `rings` of them inside the radius
            shape = ((torch.cos(distance * rings * 2 * math.pi) > 0.6) & (distance < 1)).float()
        image = (self.noise[index] + 0.7 * shape).clamp(0, 1)
        return (image * 255).to(torch.uint8), label


def rings(train: int = 4000, val: int = 1000, size: int = 32) -> dict[str, object]:
    """The target the presets name: train and val sets and their class names."""
    return {
        "train": Rings(train, size, seed=0),
        "val": Rings(val, size, seed=1),
        "classes": list(CLASSES),
    }
