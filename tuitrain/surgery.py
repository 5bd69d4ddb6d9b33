"""Changes made to a network built elsewhere: its normalization layers, its input channels.

So a course's batch-norm-versus-layer-norm comparison runs on any network, and grayscale data
trains a network made for colour.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

NORM_NAMES = {
    "batch": "BatchNorm2d",
    "layer": "LayerNorm",
    "group": "GroupNorm",
    "none": "Identity",
}


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels at each position (as ConvNeXt normalizes feature maps)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), self.weight.shape, self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2)


def _replacement(norm: str, channels: int, groups: int) -> nn.Module:
    if norm == "layer":
        return ChannelLayerNorm(channels)
    if norm == "group":
        return nn.GroupNorm(_largest_divisor(channels, groups), channels)
    return nn.Identity()


def _largest_divisor(channels: int, at_most: int) -> int:
    return max(d for d in range(1, min(channels, at_most) + 1) if channels % d == 0)


def replace_batch_norms(model: nn.Module, norm: str, groups: int) -> int:
    """Replace every BatchNorm2d of model (in place) by the chosen norm; how many there were.
    `batch` keeps them (a pretrained network keeps its statistics). GroupNorm takes the
    largest divisor of a layer's channels that is at most `groups`."""
    found = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.BatchNorm2d):
                found += 1
                if norm != "batch":
                    setattr(parent, name, _replacement(norm, child.num_features, groups))
    return found


def count_batch_norms(model: nn.Module) -> int:
    return sum(isinstance(module, nn.BatchNorm2d) for module in model.modules())


class RepeatChannels:
    """A forward pre-hook that repeats a one-channel input to the channels the network takes;
    on the device, as part of the forward pass, so the data stays one-channel everywhere else.
    A hook rather than a wrapper: the network's weight names stay its own."""

    def __init__(self, channels: int) -> None:
        self.channels = channels

    def __call__(self, module: nn.Module, args: tuple[torch.Tensor, ...]) -> tuple[object, ...]:
        x = args[0]
        if x.shape[1] == 1:
            x = x.expand(-1, self.channels, -1, -1)
        return (x, *args[1:])


def first_conv_channels(model: nn.Module) -> int | None:
    """The input channels of the network's first convolution, if it has one."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            return module.in_channels
    return None


def adapt_channels(model: nn.Module, data_channels: int) -> str | None:
    """Feed one-channel data to a network that takes more; a note saying so, or None."""
    takes = first_conv_channels(model)
    if data_channels != 1 or takes is None or takes == 1:
        return None
    model.register_forward_pre_hook(RepeatChannels(takes))
    return f"1-channel data repeated to {takes} channels on the device"
