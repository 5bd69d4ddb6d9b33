"""One optimizer step, as every loop of tuitrain takes it (the trainer's, the LR range test's).

Forward under the run's autocast, cross-entropy (soft targets included), backward through the
scaler when there is one, clipping, the optimizer's step, gradients set to None. Nothing is
read back: the loss and logits stay on the device.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tuitrain.config.train import Train
from tuitrain.engine.layerprobe import LayerProbe
from tuitrain.engine.setup import Setup


def optimizer_step(
    setup: Setup,
    train: Train,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    step: int = 0,
    probe: LayerProbe | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Take one step on (x, y); returns (loss, logits). With a `probe` (a sampled step's layer
    statistics), its hooks are on for this step's forward and backward only."""
    optimizer, scaler = setup.optimizer, setup.scaler
    # A sampled step runs the eager model: hooks on a compiled one would recompile it.
    forward = setup.forward if probe is None else setup.model
    if probe is not None:
        probe.attach(step)
    try:
        with setup.runtime.autocast():
            logits = forward(x)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=train.label_smoothing)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
    finally:
        if probe is not None:
            probe.detach()
    if probe is not None:
        probe.after_backward()  # gradients as computed, before clipping
    if (clip := train.grad_clip) is not None:
        torch.nn.utils.clip_grad_norm_(setup.model.parameters(), clip, foreach=True)
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    if probe is not None:
        probe.after_step()
    optimizer.zero_grad(set_to_none=True)
    return loss, logits
