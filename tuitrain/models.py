"""The networks a preset can ask for: a plain CNN, ResNet-18 and a compact speed-run net."""

from __future__ import annotations

import math

import torch
from torch import nn

from tuitrain.config.model import (
    BuiltElsewhere,
    CnnModel,
    FastModel,
    Model,
    ModelCommon,
    ResNet18Model,
)
from tuitrain.layers import (
    Classifier,
    Head,
    activation,
    conv,
    conv_norm_act,
    has_scale,
    init_weights,
    norm_layer,
)
from tuitrain.networks import Network, build_elsewhere, finish

FAST_LOGIT_SCALE = 1 / 9
"""The speed-run net's fixed scale on the logits (it acts like a lower rate for the head)."""


def build_network(cfg: Model, *, in_channels: int, num_classes: int, image_size: int) -> Network:
    """The preset's network, initialized, on the CPU, with what was done to build it."""
    if isinstance(cfg, BuiltElsewhere):
        return build_elsewhere(
            cfg, in_channels=in_channels, num_classes=num_classes, image_size=image_size
        )
    size = {"in_channels": in_channels, "num_classes": num_classes, "image_size": image_size}
    return Network(build_model(cfg, **size), cfg.kind)


def network_for(
    cfg: Model,
    supplied: nn.Module | None,
    *,
    in_channels: int,
    num_classes: int,
    image_size: int,
) -> Network:
    """The network handed to tuitrain.fit() (with the preset's surgery and checks), or the
    one the preset builds."""
    if supplied is None:
        return build_network(
            cfg, in_channels=in_channels, num_classes=num_classes, image_size=image_size
        )
    network = Network(supplied, f"{type(supplied).__name__} (tuitrain.fit)")
    norm, groups = (cfg.norm, cfg.groups) if isinstance(cfg, BuiltElsewhere) else (None, 8)
    finish(network, norm, groups, in_channels, num_classes, image_size)
    return network


def build_model(cfg: Model, *, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """The preset's network, initialized, on the CPU."""
    if isinstance(cfg, BuiltElsewhere):
        return build_network(
            cfg, in_channels=in_channels, num_classes=num_classes, image_size=image_size
        ).model
    if isinstance(cfg, CnnModel):
        return _cnn(cfg, in_channels, num_classes, image_size)
    if isinstance(cfg, ResNet18Model):
        return _resnet18(cfg, in_channels, num_classes)
    if isinstance(cfg, FastModel):
        return _fast(cfg, in_channels, num_classes, image_size)
    raise ValueError(f"unknown model kind {getattr(cfg, 'kind', cfg)!r}")


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters (shared tensors counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _pool(kind: str, size: int) -> tuple[nn.Module, int]:
    """A 2x2 pooling and the size after it, or nothing once the maps are 1 pixel wide."""
    if size < 2:
        return nn.Identity(), size
    return (nn.MaxPool2d(2) if kind == "max" else nn.AvgPool2d(2)), size // 2


def _cnn(cfg: CnnModel, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    stages: list[nn.Module] = []
    c_in, size = in_channels, image_size
    for width in cfg.widths:
        layers: list[nn.Module] = []
        for _ in range(cfg.blocks):
            layers += conv_norm_act(cfg, c_in, width)
            c_in = width
        pool, size = _pool(cfg.pool, size)
        stages.append(nn.Sequential(*layers, pool))
    head = Head(c_in, num_classes, pool="avg", dropout=cfg.dropout)
    model = Classifier(nn.Identity(), stages, head)
    init_weights(model, cfg.activation)
    return model


class BasicBlock(nn.Module):
    """Two 3x3 convs with a shortcut; the sum goes through the activation."""

    def __init__(self, cfg: ModelCommon, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = conv(cfg, c_in, c_out, stride=stride)
        self.norm1 = norm_layer(cfg, c_out)
        self.act1 = activation(cfg.activation)
        self.conv2 = conv(cfg, c_out, c_out)
        self.norm2 = norm_layer(cfg, c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                conv(cfg, c_in, c_out, kernel=1, stride=stride), norm_layer(cfg, c_out)
            )
        self.act2 = activation(cfg.activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branch = self.norm2(self.conv2(self.act1(self.norm1(self.conv1(x)))))
        out: torch.Tensor = self.act2(branch + self.shortcut(x))
        return out

    @torch.no_grad()
    def zero_branch(self) -> None:
        """Start as (almost) the identity: the residual branch outputs zeros until it learns."""
        if has_scale(self.norm2):
            scale = self.norm2.weight
            assert isinstance(scale, torch.Tensor)
            scale.zero_()
        else:
            # Without a norm scale, the last conv itself starts at zero (as in Fixup).
            self.conv2.weight.zero_()


def _resnet18(cfg: ResNet18Model, in_channels: int, num_classes: int) -> nn.Module:
    w = cfg.width
    stem: list[nn.Module]
    if cfg.stem == "small":
        stem = conv_norm_act(cfg, in_channels, w)
    else:
        stem = [
            conv(cfg, in_channels, w, kernel=7, stride=2),
            norm_layer(cfg, w),
            activation(cfg.activation),
            nn.MaxPool2d(3, stride=2, padding=1),
        ]
    stages: list[nn.Module] = []
    c_in = w
    for i, width in enumerate((w, 2 * w, 4 * w, 8 * w)):
        stride = 1 if i == 0 else 2
        stages.append(
            nn.Sequential(BasicBlock(cfg, c_in, width, stride), BasicBlock(cfg, width, width, 1))
        )
        c_in = width
    head = Head(c_in, num_classes, pool="avg", dropout=cfg.dropout)
    model = Classifier(nn.Sequential(*stem), stages, head)
    init_weights(model, cfg.activation)
    for block in model.modules():
        if isinstance(block, BasicBlock):
            block.zero_branch()
    return model


def _fast(cfg: FastModel, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    # The stem is the speed-run records' 2x2 patch conv (there initialized by whitening the
    # data; here trained like any other layer), with twice as many outputs as patch values.
    stem_width = 2 * in_channels * 2 * 2
    stem = nn.Sequential(
        nn.Conv2d(in_channels, stem_width, 2, padding=0, bias=True), activation(cfg.activation)
    )
    size = image_size - 1
    stages: list[nn.Module] = []
    c_in = stem_width
    for width in cfg.widths:
        pool, size = _pool("max", size)
        # conv -> pool -> norm -> act, then conv -> norm -> act: pooling before the norm
        # normalizes the statistics of what the next layer actually sees.
        stages.append(
            nn.Sequential(
                conv(cfg, c_in, width),
                pool,
                norm_layer(cfg, width),
                activation(cfg.activation),
                *conv_norm_act(cfg, width, width),
            )
        )
        c_in = width
    head = Head(
        c_in,
        num_classes,
        pool="max",
        dropout=cfg.dropout,
        bias=False,
        scale=FAST_LOGIT_SCALE,
    )
    model = Classifier(stem, stages, head)
    init_weights(model, cfg.activation)
    with torch.no_grad():
        # With the fixed logit scale, the head starts like the records' (torch's default
        # uniform init, std 1/sqrt(3 fan_in)) instead of the smaller one of the other nets.
        head.linear.weight.normal_(0.0, 1 / math.sqrt(3 * c_in))
    return model
