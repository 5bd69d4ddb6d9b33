"""Pieces shared by the preset networks: activations, normalization, conv blocks, the head.

Initialization lives here too, because the right conv scale depends on the activation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from tuitrain.config.model import ModelCommon

LEAKY_SLOPE = 0.01

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE),
    "elu": nn.ELU,
}

# He-style gains 1 / sqrt(E[f(z)^2]) for z ~ N(0, 1): a conv whose inputs went through f and
# whose weights have std gain / sqrt(fan_in) gives outputs of unit variance again. torch's
# calculate_gain knows relu and leaky_relu only; the others were integrated numerically
# (tests/test_models.py checks them).
GAINS: dict[str, float] = {
    "relu": math.sqrt(2.0),
    "leaky_relu": math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2)),
    "gelu": 1.5335304,
    "silu": 1.6765325,
    "elu": 1.2451983,
}

HEAD_STD = 0.01
"""Std of the classifier weights: small, so the first losses sit near log(num_classes)."""


def activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


def norm_layer(cfg: ModelCommon, channels: int) -> nn.Module:
    """The preset's normalization over `channels` feature maps."""
    if cfg.norm == "batch":
        return nn.BatchNorm2d(channels)
    if cfg.norm == "layer":
        # One group: statistics per sample over channels, height and width; affine per channel.
        return nn.GroupNorm(1, channels)
    if cfg.norm == "group":
        return nn.GroupNorm(cfg.groups, channels)
    return nn.Identity()


def conv(cfg: ModelCommon, c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """A convolution that keeps the size (at stride 1); biased only when no norm follows."""
    return nn.Conv2d(
        c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=cfg.norm == "none"
    )


def conv_norm_act(cfg: ModelCommon, c_in: int, c_out: int) -> list[nn.Module]:
    """3x3 conv, norm, activation: the norm sits before the activation."""
    return [conv(cfg, c_in, c_out), norm_layer(cfg, c_out), activation(cfg.activation)]


def has_scale(norm: nn.Module) -> bool:
    return isinstance(norm, nn.BatchNorm2d | nn.GroupNorm) and norm.weight is not None


class Head(nn.Module):
    """Global pooling, dropout, linear classifier, then a fixed scale on the logits."""

    def __init__(
        self,
        features: int,
        num_classes: int,
        *,
        pool: str,
        dropout: float,
        bias: bool = True,
        scale: float = 1.0,
    ) -> None:
        super().__init__()
        self.pool = nn.AdaptiveMaxPool2d(1) if pool == "max" else nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.linear = nn.Linear(features, num_classes, bias=bias)
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.linear(self.dropout(self.pool(x).flatten(1)))
        return logits * self.scale if self.scale != 1.0 else logits


class Classifier(nn.Module):
    """stem -> stages -> head; the stages are kept apart so their outputs can be inspected."""

    def __init__(self, stem: nn.Module, stages: list[nn.Module], head: Head) -> None:
        super().__init__()
        self.stem = stem
        self.stages = nn.Sequential(*stages)
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.head(self.stages(self.stem(x)))
        return logits


@torch.no_grad()
def init_weights(model: nn.Module, activation_name: str) -> None:
    """He-normal convs matched to the activation, unit norms, zero biases, a small head."""
    gain = GAINS[activation_name]
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            fan_in = module.weight[0].numel()
            module.weight.normal_(0.0, gain / math.sqrt(fan_in))
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.BatchNorm2d | nn.GroupNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Linear):
            module.weight.normal_(0.0, HEAD_STD)
            if module.bias is not None:
                module.bias.zero_()
