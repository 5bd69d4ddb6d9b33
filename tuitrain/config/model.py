"""The `model` section: which network, how wide, which normalization layers."""

from __future__ import annotations

import importlib.util
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from tuitrain.config.base import Section, rule_error
from tuitrain.config.targets import check_target

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


Args = dict[str, Any]
"""Keyword arguments passed as they are to the user's or library's constructor."""
TIMM_INSTALL = "pip install 'tuitrain[timm]'"


class Surgery(Section):
    """What every network built elsewhere (torchvision, timm, the user's) may have changed."""

    norm: Literal["batch", "layer", "group", "none"] | None = None
    """Unset leaves the network as it is; otherwise every BatchNorm2d is replaced (batch: a
    fresh BatchNorm2d; layer: a channel-wise LayerNorm; group: GroupNorm; none: Identity)."""
    sync_bn: bool = False
    """With several devices, batch norm uses the statistics of the whole global batch
    (SyncBatchNorm, CUDA only) instead of each device's share of it."""
    groups: Annotated[int, Field(ge=1, le=512)] = 8
    """Channel groups for norm: group (a layer whose channels it does not divide gets the
    largest divisor below it)."""


class TorchvisionModel(Surgery):
    """A classification network of torchvision.models by name (resnet18, mobilenet_v3_small,
    convnext_tiny, ...), its classifier built for the data's classes."""

    kind: Literal["torchvision"] = "torchvision"
    name: Annotated[str, Field(min_length=1, max_length=100)]
    """A name of torchvision.models.list_models(module=torchvision.models)."""
    args: Args = Field(default_factory=dict)
    """Keyword arguments for torchvision.models.get_model (dropout, width_mult, ...)."""
    weights: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """Pretrained weights by name (DEFAULT, IMAGENET1K_V1, ...), read from torch's local cache
    only; the classifier is then replaced for the data's classes."""
    download: bool = False
    """Download missing weights at run time (otherwise a missing file is an error)."""


class TimmModel(Surgery):
    """A network of timm by name, created with timm.create_model (needs tuitrain[timm])."""

    kind: Literal["timm"] = "timm"
    name: Annotated[str, Field(min_length=1, max_length=100)]
    """A name of timm.list_models()."""
    args: Args = Field(default_factory=dict)
    """Further keyword arguments for timm.create_model (drop_rate, ...)."""

    @field_validator("name")
    @classmethod
    def _timm_installed(cls, name: str) -> str:
        if importlib.util.find_spec("timm") is None:
            raise ValueError(f"model kind timm needs the timm package: {TIMM_INSTALL}")
        return name


class PythonModel(Surgery):
    """Your own network: an nn.Module subclass, or a function that returns one."""

    kind: Literal["python"] = "python"
    target: Annotated[str, Field(max_length=4096), AfterValidator(check_target)]
    """'models.py:MyNet' (a file, relative to the preset's folder) or 'package.module:MyNet'.
    num_classes and in_channels are passed when its signature takes them."""
    args: Args = Field(default_factory=dict)
    """Keyword arguments for the target."""


class FitModel(Surgery):
    """A network handed to tuitrain.fit() from Python; a preset file cannot build it."""

    kind: Literal["fit"] = "fit"
    name: Annotated[str, Field(max_length=200)] = ""
    """The network's class name, for the Run panel and tuitrain runs."""


Model = Annotated[
    CnnModel | ResNet18Model | FastModel | TorchvisionModel | TimmModel | PythonModel | FitModel,
    Field(discriminator="kind"),
]
BuiltElsewhere = TorchvisionModel | TimmModel | PythonModel | FitModel
