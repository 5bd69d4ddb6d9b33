"""From a validated preset to the objects a training loop needs."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tuitrain.config.preset import Preset
from tuitrain.data import PreparedData, prepare_data
from tuitrain.engine.runtime import Runtime
from tuitrain.models import build_model
from tuitrain.optim import LearningRate, build_optimizer, build_schedule

Stats = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass
class Parts:
    runtime: Runtime
    data: PreparedData
    model: nn.Module
    """The module whose weights are saved (never the compiled wrapper)."""
    forward: Callable[[torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer
    lr: LearningRate
    scaler: torch.amp.GradScaler | None


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_parts(
    preset: Preset,
    runtime: Runtime,
    *,
    log: Callable[[str], None],
    stats: Stats | None = None,
) -> Parts:
    seed_everything(preset.train.seed)
    data = prepare_data(
        preset.data,
        preset.augment,
        device=runtime.device,
        seed=preset.train.seed,
        channels_last=runtime.channels_last,
        log=log,
        stats=stats,
    )
    channels, height, _ = data.image_shape
    model = build_model(
        preset.model, in_channels=channels, num_classes=data.num_classes, image_size=height
    )
    memory_format = torch.channels_last if runtime.channels_last else torch.preserve_format
    model = model.to(runtime.device, memory_format=memory_format)
    optimizer = build_optimizer(preset.optim, model)
    schedule = build_schedule(
        preset.schedule,
        base_lr=preset.optim.lr,
        epochs=preset.train.epochs,
        steps_per_epoch=data.train.batches_per_epoch,
    )
    scaler = torch.amp.GradScaler("cuda") if runtime.precision == "fp16" else None
    forward: Callable[[torch.Tensor], torch.Tensor] = model
    if preset.train.compile:
        log("compiling the model (the first steps will be slow)")
        forward = torch.compile(model)  # type: ignore[assignment]
    return Parts(
        runtime=runtime,
        data=data,
        model=model,
        forward=forward,
        optimizer=optimizer,
        lr=LearningRate(schedule),
        scaler=scaler,
    )
