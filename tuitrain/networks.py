"""Networks built elsewhere: torchvision and timm by name, the user's own by target.

Each is built for the data's classes and channels, has the preset's norm surgery applied, and
is checked with one forward pass of a tiny batch before training, so a network that cannot
train on this data is refused with exit code 2 rather than failing at step one.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tuitrain.config.model import (
    TIMM_INSTALL,
    BuiltElsewhere,
    PythonModel,
    TimmModel,
    TorchvisionModel,
)
from tuitrain.config.problems import did_you_mean
from tuitrain.errors import UserError
from tuitrain.surgery import NORM_NAMES, adapt_channels, replace_batch_norms
from tuitrain.usercode import UserCodeError, accepted, import_target, reported


@dataclass
class Network:
    """A built network and what was done to it, for the Run panel and run_started."""

    model: nn.Module
    label: str
    """As the user knows it: `torchvision resnet18`, `python models.py:MyNet`."""
    notes: list[str] = field(default_factory=list)
    norm_replaced: int | None = None
    """BatchNorm2d layers replaced by the norm surgery (None when model.norm is unset)."""
    source_file: str | None = None
    """The absolute file of a python target."""


def build_elsewhere(
    cfg: BuiltElsewhere, *, in_channels: int, num_classes: int, image_size: int
) -> Network:
    if isinstance(cfg, TorchvisionModel):
        network = _torchvision(cfg, num_classes)
    elif isinstance(cfg, TimmModel):
        network = _timm(cfg, in_channels, num_classes)
    elif isinstance(cfg, PythonModel):
        network = _python(cfg, in_channels, num_classes)
    else:
        raise UserError(
            "this run's model was handed to tuitrain.fit() from Python; a preset cannot build it",
            hint="continue it from Python: tuitrain.fit(model, train, val, resume=RUN)",
        )
    finish(network, cfg.norm, cfg.groups, in_channels, num_classes, image_size)
    return network


def finish(
    network: Network,
    norm: str | None,
    groups: int,
    in_channels: int,
    num_classes: int,
    image_size: int,
) -> None:
    """Norm surgery, one-channel input, and the check that the network gives class scores."""
    if norm is not None:
        count = replace_batch_norms(network.model, norm, groups)
        network.norm_replaced = count if norm != "batch" else 0
        verb = "kept" if norm == "batch" else f"replaced by {NORM_NAMES[norm]}"
        network.notes.append(f"norm: {count} BatchNorm2d {verb}")
    repeat = adapt_channels(network.model, in_channels)
    if repeat is not None:
        network.notes.append(repeat)
    probe(network, in_channels, num_classes, image_size)


def probe(network: Network, channels: int, num_classes: int, image_size: int) -> None:
    """One forward pass of two blank images (in eval mode: no statistics change)."""
    model, label = network.model, network.label
    shape = (2, channels, image_size, image_size)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), reported(f"model: {label} failed on a batch of shape {shape}"):
            out = model(torch.zeros(shape))
    finally:
        model.train(was_training)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, num_classes):
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserCodeError(
            f"model: {label} returned {got} for a batch of shape {shape}; tuitrain expects "
            f"class scores of shape (batch, classes) = (2, {num_classes})"
        )


# torchvision ---------------------------------------------------------------------------


def _torchvision_names() -> list[str]:
    from torchvision import models

    return list(models.list_models(module=models))


def _torchvision(cfg: TorchvisionModel, num_classes: int) -> Network:
    from torchvision import models

    names = _torchvision_names()
    if cfg.name not in names:
        raise UserError(
            f"model.name: torchvision has no classification model {cfg.name!r}"
            f"{did_you_mean(cfg.name, names)}",
            hint="the names are those of torchvision.models.list_models(module=torchvision.models)",
        )
    label = f"torchvision {cfg.name}"
    if cfg.weights is None:
        with reported(f"model: torchvision.models.get_model({cfg.name!r}, **model.args) failed"):
            model = models.get_model(cfg.name, weights=None, num_classes=num_classes, **cfg.args)
        return Network(model, label)
    weights = _weights(cfg)
    label += f" ({weights})"
    meta_classes = len(weights.meta["categories"])
    with reported(f"model: torchvision.models.get_model({cfg.name!r}, **model.args) failed"):
        model = models.get_model(cfg.name, weights=None, num_classes=meta_classes, **cfg.args)
    model.load_state_dict(_weights_state(cfg, weights))
    note = f"pretrained {weights}"
    if meta_classes != num_classes:
        head = replace_head(model, num_classes)
        note += f"; classifier {head} replaced for {num_classes} classes"
    return Network(model, label, [note])


def _weights(cfg: TorchvisionModel) -> Any:
    from torchvision import models

    enum = models.get_model_weights(cfg.name)
    members = list(enum.__members__)
    if cfg.weights not in members:
        raise UserError(
            f"model.weights: {cfg.name} has no weights {cfg.weights!r}"
            f"{did_you_mean(str(cfg.weights), members)} (it has: {', '.join(members)})"
        )
    return enum[cfg.weights]


def weights_file(url: str) -> Path:
    """Where torch's hub keeps a downloaded weights file ($TORCH_HOME/hub/checkpoints)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def _weights_state(cfg: TorchvisionModel, weights: Any) -> dict[str, Any]:
    path = weights_file(weights.url)
    if not path.is_file():
        if not cfg.download:
            raise UserError(
                f"model.weights: {cfg.name} {cfg.weights} are not in torch's cache: there is no "
                f"{path} (torch looks in $TORCH_HOME/hub/checkpoints, by default "
                "~/.cache/torch/hub/checkpoints)",
                hint='fetch them once where there is a network with: python -c "import '
                f"torchvision; torchvision.models.get_model('{cfg.name}', "
                f"weights='{cfg.weights}')\", or set model.download: true",
            )
        torch.hub.download_url_to_file(weights.url, str(path), progress=False)
    state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=True)
    return state


def replace_head(model: nn.Module, num_classes: int) -> str:
    """Replace the last Linear layer (or a final 1x1 Conv2d classifier) by a fresh one with
    num_classes outputs; its name."""
    last: tuple[str, nn.Module] | None = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear | nn.Conv2d):
            last = (name, module)
    if last is None:
        raise UserError("model: found no Linear or Conv2d classifier to replace")
    name, old = last
    if isinstance(old, nn.Linear):
        new: nn.Module = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    else:
        assert isinstance(old, nn.Conv2d)
        new = nn.Conv2d(old.in_channels, num_classes, kernel_size=1)  # the 1x1 conv classifiers
    parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
    setattr(parent, name.rpartition(".")[2], new)
    return name


# timm ----------------------------------------------------------------------------------


def _timm(cfg: TimmModel, in_channels: int, num_classes: int) -> Network:
    try:
        import timm
    except ImportError:
        raise UserError(f"model kind timm needs the timm package: {TIMM_INSTALL}") from None
    if not timm.is_model(cfg.name):
        names = timm.list_models()
        raise UserError(
            f"model.name: timm has no model {cfg.name!r}{did_you_mean(cfg.name, names)}",
            hint="timm.list_models() lists them",
        )
    with reported(f"model: timm.create_model({cfg.name!r}, **model.args) failed"):
        model = timm.create_model(
            cfg.name, pretrained=False, num_classes=num_classes, in_chans=in_channels, **cfg.args
        )
    return Network(model, f"timm {cfg.name}")


# the user's own ------------------------------------------------------------------------


def _python(cfg: PythonModel, in_channels: int, num_classes: int) -> Network:
    found, target = import_target(cfg.target, "model.target")
    label = f"python {target.shown}"
    if inspect.isclass(found) and not issubclass(found, nn.Module):
        raise UserCodeError(
            f"model.target: {target.shown} is a class but not an nn.Module subclass; tuitrain "
            "expects a torch.nn.Module subclass or a function that returns a module"
        )
    if not callable(found):
        raise UserCodeError(
            f"model.target: {target.shown} is a {type(found).__name__}, not an nn.Module "
            "subclass or a function that returns one"
        )
    offered = {"num_classes": num_classes, "in_channels": in_channels}
    given = {**accepted(found, offered), **cfg.args}
    with reported(f"model: {target.shown}(**{_shown_args(given)}) failed"):
        model = found(**given)
    if not isinstance(model, nn.Module):
        raise UserCodeError(
            f"model.target: {target.shown}(...) returned a {type(model).__name__}; tuitrain "
            "expects an nn.Module"
        )
    source = str(Path(target.module).resolve()) if target.is_file else None
    return Network(model, label, source_file=source)


def _shown_args(args: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}={v!r}" for k, v in args.items()) + "}"
