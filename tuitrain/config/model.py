"""The `model` section: which network, how wide, which normalization layers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from tuitrain.config.base import Section, rule_error

Width = Annotated[int, Field(ge=1, le=4096)]


class ModelCommon(Section):
    norm: Literal["batch", "layer", "group", "none"] = "batch"
    """Normalization after each convolution, before the activation."""
    sync_bn: bool = False
    """With several devices, batch norm uses the statistics of the whole global batch
    (SyncBatchNorm, CUDA only) instead of each device's share of it."""
    groups: Annotated[int, Field(ge=1, le=512)] = 8
    """Channel groups for norm: group; must divide every width."""
    activation: Literal["relu", "gelu", "silu", "leaky_relu", "elu"] = "relu"
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Dropout before the classifier."""

    def _widths(self) -> list[int]:
        raise NotImplementedError

    @model_validator(mode="after")
    def _groups_divide_widths(self) -> ModelCommon:
        if self.norm != "group":
            return self
        for width in self._widths():
            if width % self.groups:
                raise rule_error(
                    ("groups",),
                    self.groups,
                    f"must divide every layer width; {width} is not a multiple of {self.groups}",
                    "groups_divide",
                )
        return self


class CnnModel(ModelCommon):
    """A plain CNN: stages of conv blocks, each stage ending with pooling."""

    kind: Literal["cnn"] = "cnn"
    widths: list[Width] = Field(default=[32, 64, 128], min_length=1, max_length=8)
    """Output channels of each stage."""
    blocks: Annotated[int, Field(ge=1, le=8)] = 2
    """Conv blocks (conv, norm, activation) per stage."""
    pool: Literal["max", "avg"] = "max"

    def _widths(self) -> list[int]:
        return list(self.widths)


class ResNet18Model(ModelCommon):
    """ResNet-18; the 'small' stem suits 32x32 images, 'imagenet' larger ones."""

    kind: Literal["resnet18"] = "resnet18"
    width: Annotated[int, Field(ge=8, le=512)] = 64
    """Channels of the first stage; later stages double it."""
    stem: Literal["small", "imagenet"] = "small"

    def _widths(self) -> list[int]:
        return [self.width * k for k in (1, 2, 4, 8)]


class FastModel(ModelCommon):
    """A compact net in the style of the CIFAR-10 speed-run records, built for GPUs."""

    kind: Literal["fast"] = "fast"
    widths: list[Width] = Field(default=[64, 256, 256], min_length=3, max_length=3)
    """Channels of the three conv groups after the stem."""
    activation: Literal["relu", "gelu", "silu", "leaky_relu", "elu"] = "gelu"

    def _widths(self) -> list[int]:
        return list(self.widths)


Model = Annotated[CnnModel | ResNet18Model | FastModel, Field(discriminator="kind")]
