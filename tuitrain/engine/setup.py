"""From a validated preset to the objects a training loop needs (`Setup`), and the event that
announces them (`started_event`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tuitrain.config.preset import Preset
from tuitrain.config.targets import user_files
from tuitrain.data import PreparedData, prepare_data
from tuitrain.data.shard import WHOLE, Shard
from tuitrain.engine import events as ev
from tuitrain.engine.runtime import Runtime
from tuitrain.engine.state import Progress
from tuitrain.engine.supplied import Supplied
from tuitrain.engine.tracking import versions
from tuitrain.models import network_for
from tuitrain.networks import Network
from tuitrain.optim import LearningRate, build_optimizer, build_schedule

Stats = tuple[tuple[float, ...], tuple[float, ...]]


@dataclass
class Setup:
    """What a run trains with; built once per run, at its start."""

    runtime: Runtime
    data: PreparedData
    model: nn.Module
    """The module whose weights are saved (never the compiled wrapper)."""
    forward: Callable[[torch.Tensor], torch.Tensor]
    optimizer: torch.optim.Optimizer
    lr: LearningRate
    scaler: torch.amp.GradScaler | None
    network: Network
    """How the model was built (its label, notes, norm surgery), for run_started."""


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def build_setup(
    preset: Preset,
    runtime: Runtime,
    *,
    log: Callable[[str], None],
    stats: Stats | None = None,
    shard: Shard = WHOLE,
    skipped: Path | None = None,
    supplied: Supplied | None = None,
) -> Setup:
    """`skipped`: where the image files that cannot be read are listed. `supplied`: the model
    and datasets handed to tuitrain.fit(), used instead of the ones the preset would build."""
    seed_everything(preset.train.seed)
    data = prepare_data(
        preset.data,
        preset.augment,
        device=runtime.device,
        seed=preset.train.seed,
        channels_last=runtime.channels_last,
        log=log,
        stats=stats,
        shard=shard,
        skipped_list=skipped,
        given=supplied.datasets if supplied is not None else None,
    )
    channels, height, _ = data.image_shape
    network = network_for(
        preset.model,
        supplied.model if supplied is not None else None,
        in_channels=channels,
        num_classes=data.num_classes,
        image_size=height,
    )
    model = network.model
    memory_format = torch.channels_last if runtime.channels_last else torch.preserve_format
    model = model.to(runtime.device).to(memory_format=memory_format)
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
        forward = torch.compile(model)
    return Setup(
        runtime=runtime,
        data=data,
        model=model,
        forward=forward,
        optimizer=optimizer,
        lr=LearningRate(schedule),
        scaler=scaler,
        network=network,
    )


def started_event(
    setup: Setup,
    preset: Preset,
    name: str,
    resolved: dict[str, Any],
    run_dir: str | None,
    lr: float,
    progress: Progress,
    *,
    resumed: bool,
    world_size: int = 1,
) -> ev.RunStarted:
    """What a run says first: what it trains, on what, from where."""
    data = setup.data
    return ev.RunStarted(
        preset_name=name,
        preset=resolved,
        run_dir=run_dir,
        device=str(setup.runtime.device),
        device_name=setup.runtime.device_name,
        precision=setup.runtime.precision,
        epochs=preset.train.epochs,
        steps_per_epoch=data.train.batches_per_epoch,
        train_size=data.train_size,
        val_size=data.val_size,
        num_classes=data.num_classes,
        image_shape=data.image_shape,
        mean=tuple(data.mean),
        std=tuple(data.std),
        parameters=sum(p.numel() for p in setup.model.parameters()),
        lr=lr,
        loader=data.loader,
        versions=versions(),
        resumed=resumed,
        step=progress.step,
        epoch=progress.epoch,
        world_size=world_size,
        class_names=tuple(data.class_names),
        model=setup.network.label,
        model_notes=tuple(setup.network.notes),
        norm_replaced=setup.network.norm_replaced,
        user_files=user_files(resolved),
    )
