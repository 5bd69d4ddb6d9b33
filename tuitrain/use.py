"""Using a trained run: its network rebuilt with the saved weights, its classes and its inputs.

`tuitrain.load(RUN)` rebuilds the network from the run's own preset (a python target is
imported again) and loads the checkpoint with `weights_only=True`; `Preprocess` turns an image
into the input the network was trained on (size, channels, mean and std of the run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from PIL import Image
from torch import nn
from torchvision.transforms.v2 import functional as TF

from tuitrain.errors import UserError
from tuitrain.runs.checkpoint import load_checkpoint
from tuitrain.runs.files import BEST, LAST
from tuitrain.runs.resolve import default_runs_dir, resolve_run


@dataclass(frozen=True)
class Preprocess:
    """A PIL image (or a uint8 C x H x W tensor) to a normalized 1 x C x H x W batch."""

    size: tuple[int, int]
    """Height and width the network was trained on."""
    channels: int
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __call__(self, image: Image.Image | torch.Tensor) -> torch.Tensor:
        if isinstance(image, Image.Image):
            pixels = TF.pil_to_tensor(image.convert("L" if self.channels == 1 else "RGB"))
        else:
            pixels = image
        if tuple(pixels.shape[1:]) != self.size:
            pixels = TF.resize(pixels, list(self.size), antialias=True)
        x = pixels.float().div(255)
        mean = torch.tensor(self.mean).view(-1, 1, 1)
        std = torch.tensor(self.std).view(-1, 1, 1)
        batch: torch.Tensor = ((x - mean) / std).unsqueeze(0)
        return batch


@dataclass(frozen=True)
class Trained:
    """What tuitrain.load returns."""

    model: nn.Module
    """The network with the checkpoint's weights, on the CPU, in eval mode."""
    classes: list[str]
    preprocess: Preprocess
    run_dir: Path
    checkpoint: Path
    epoch: int
    """Complete epochs the weights were trained for."""


def load(
    run: str | Path,
    which: Literal["best", "last"] = "best",
    *,
    model: nn.Module | None = None,
    runs_dir: str | Path | None = None,
) -> Trained:
    """The network of a run with the weights of its best (or last) checkpoint, its class
    names and its input preprocessing. `model`: the network to load the weights into, for a run
    that tuitrain.fit() trained (a preset cannot rebuild that one)."""
    if which not in ("best", "last"):
        raise UserError(f"which must be 'best' or 'last', not {which!r}")
    folder = resolve_run(str(run), Path(runs_dir) if runs_dir is not None else default_runs_dir())
    path = folder / "checkpoints" / (BEST if which == "best" else LAST)
    if which == "best" and not path.exists():
        path = folder / "checkpoints" / LAST  # a run without validation keeps no best
    state = load_checkpoint(path)
    facts = run_facts(state, folder)
    network = model if model is not None else rebuild(state, facts)
    try:
        network.load_state_dict(state["model"])
    except RuntimeError as exc:
        raise UserError(
            f"the weights in {path} do not fit the network built now: {_first_line(exc)}",
            hint="the model's code changed since the run; restore it as it was when trained",
        ) from None
    c, h, w = facts["image_shape"]
    stats = state["stats"]
    preprocess = Preprocess((h, w), c, tuple(stats["mean"]), tuple(stats["std"]))
    return Trained(
        network.eval(),
        list(facts["classes"]),
        preprocess,
        folder,
        path,
        int(state["progress"]["epoch"]),
    )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def run_facts(state: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Classes and image shape: from the checkpoint, else from the run's run_started event."""
    saved = state.get("data")
    if isinstance(saved, dict) and "classes" in saved and "image_shape" in saved:
        return {"classes": list(saved["classes"]), "image_shape": tuple(saved["image_shape"])}
    from tuitrain.engine import events as ev
    from tuitrain.runs.reader import read_events

    events, _ = read_events(folder / "events.jsonl")
    for event in events:
        if isinstance(event, ev.RunStarted):
            names = list(getattr(event, "class_names", ()) or ())
            count = int(event.num_classes)
            classes = names or [str(k) for k in range(count)]
            return {"classes": classes, "image_shape": tuple(event.image_shape)}
    raise UserError(f"{folder} says neither its classes nor its image size")


def rebuild(state: dict[str, Any], facts: dict[str, Any]) -> nn.Module:
    """The run's network, built again from the preset saved in its checkpoint."""
    from pydantic import ValidationError

    from tuitrain.config.model import TorchvisionModel
    from tuitrain.config.preset import Preset
    from tuitrain.models import build_network

    try:
        preset = Preset.model_validate(state["preset"])
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise UserError(f"the run's preset no longer validates: {problems}") from None
    if preset.model.kind == "fit":
        raise UserError(
            f"this run trained a {preset.model.name or 'network'} handed to tuitrain.fit(); "
            "a preset cannot build it",
            hint="give load the network to fill: tuitrain.load(RUN, model=MyNet(...))",
        )
    model = preset.model
    if isinstance(model, TorchvisionModel) and model.weights is not None:
        # The checkpoint holds every weight: the pretrained file need not be in the cache.
        model = TorchvisionModel(**{**model.model_dump(), "weights": None})
    c, h, _ = facts["image_shape"]
    network = build_network(model, in_channels=c, num_classes=len(facts["classes"]), image_size=h)
    return network.model
