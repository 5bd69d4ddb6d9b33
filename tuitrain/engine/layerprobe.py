"""Layer health on one sampled step: hooks attached for that step only, numbers reduced on the
device, read back after the next progress report's sync (never a sync of its own).

On the sampled step the trainer calls, in order: attach() before the forward pass,
after_backward() once the gradients are final (unscaled, before clipping), and after_step()
after the optimizer step. Every other step costs nothing: no hook stays registered.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from tuitrain.engine.events import LayerReading

ACTIVATION_KINDS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Mish)
"""Activations whose zero (or negative) side marks a unit that passes nothing on."""

# Columns of the stats tensor, one row per layer.
OUT_MEAN, OUT_STD, ZEROS, DEAD, GRAD, WEIGHT, UPDATE = range(7)
COLUMNS = 7


def probed_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The conv and linear layers of a model, with their names, in registration order."""
    return [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd))
        and isinstance(getattr(module, "weight", None), torch.Tensor)  # (not a lazy one)
    ]


class LayerProbe:
    """Samples layer statistics on steps that are multiples of `every` (None: never)."""

    def __init__(self, model: nn.Module, every: int | None) -> None:
        self.every = every
        self._layers = probed_layers(model)
        self._row = {id(module): i for i, (_, module) in enumerate(self._layers)}
        self._activations = [m for m in model.modules() if isinstance(m, ACTIVATION_KINDS)]
        self._handles: list[torch.utils.hooks.RemovableHandle] = []
        self._stats: torch.Tensor | None = None
        self._order: list[int] = []
        self._current: int | None = None  # the row of the layer that ran last
        self._before: list[torch.Tensor] = []
        self._step = 0
        self._host: torch.Tensor | None = None
        self._ready: torch.cuda.Event | None = None
        self._pending: tuple[int, list[int]] | None = None

    def due(self, step: int) -> bool:
        """Whether the step about to be taken (`step` steps done so far) is sampled."""
        # Not the first step: its update ratios measure the initialization, not the rate.
        return bool(self.every) and bool(self._layers) and step > 0 and step % self.every == 0  # type: ignore[operator]

    @property
    def attached(self) -> bool:
        return bool(self._handles)

    def attach(self, step: int) -> None:
        """Hook every layer and activation for the coming forward pass."""
        device = self._weights()[0].device
        self._stats = torch.full((len(self._layers), COLUMNS), float("nan"), device=device)
        self._order, self._current, self._step = [], None, step
        for _, module in self._layers:
            self._handles.append(module.register_forward_hook(self._on_layer))
        for module in self._activations:
            self._handles.append(module.register_forward_hook(self._on_activation))

    def after_backward(self) -> None:
        """Gradient norms, a copy of each weight to measure the step by; the hooks go."""
        self.detach()
        stats = self._require_stats()
        weights = self._weights()
        with torch.no_grad():
            grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in weights]
            stats[:, GRAD] = torch.stack(torch._foreach_norm(grads)).float()
            self._before = [w.detach().clone() for w in weights]

    def after_step(self) -> None:
        """Weight norms and update ratios; the row copied towards the host, without waiting."""
        stats = self._require_stats()
        weights = [w.detach() for w in self._weights()]
        with torch.no_grad():
            norms = torch.stack(torch._foreach_norm(weights)).float()
            deltas = torch._foreach_sub(weights, self._before)
            before = torch.stack(torch._foreach_norm(self._before)).float()
            stats[:, WEIGHT] = norms
            stats[:, UPDATE] = torch.stack(torch._foreach_norm(deltas)).float() / before
        self._before = []
        self._host, self._ready = _to_host(stats)
        self._pending = (self._step, self._order)
        self._stats = None

    def _weights(self) -> list[torch.Tensor]:
        """Each layer's weight (a tensor for every layer probed_layers keeps)."""
        return [cast(torch.Tensor, module.weight) for _, module in self._layers]

    def detach(self) -> None:
        """Remove every hook (also when a sampled step fails half-way)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def read(self) -> tuple[int, list[LayerReading]] | None:
        """The latest sample, once its copy has reached the host (call it after a report's
        sync: then it has); None when there is none, or it is still on its way."""
        if self._pending is None or self._host is None:
            return None
        if self._ready is not None and not self._ready.query():
            return None  # the device has not got there yet: the next report will take it
        step, order = self._pending
        rows = self._host.tolist()
        self._pending = None
        seen = order + [i for i in range(len(self._layers)) if i not in order]
        return step, [self._reading(i, rows[i]) for i in seen]

    # Hooks ------------------------------------------------------------------------------

    def _on_layer(self, module: nn.Module, inputs: object, output: torch.Tensor) -> None:
        row = self._row[id(module)]
        self._current = row
        if row not in self._order:
            self._order.append(row)
        with torch.no_grad():
            std, mean = torch.std_mean(output.detach().float(), correction=0)
            stats = self._require_stats()
            stats[row, OUT_MEAN] = mean
            stats[row, OUT_STD] = std

    def _on_activation(self, module: nn.Module, inputs: object, output: torch.Tensor) -> None:
        if self._current is None:
            return
        with torch.no_grad():
            active = output.detach() > 0
            # A unit is a channel (dim 1): dead when it fired for no sample and no position.
            if active.ndim > 1:
                units = active.transpose(0, 1).reshape(active.shape[1], -1)
            else:
                units = active[None]
            stats = self._require_stats()
            stats[self._current, ZEROS] = 1 - active.float().mean()
            stats[self._current, DEAD] = (~units.any(dim=1)).float().mean()

    def _reading(self, row: int, values: list[float]) -> LayerReading:
        name, module = self._layers[row]
        zeros, dead = values[ZEROS], values[DEAD]
        return LayerReading(
            name=name or type(module).__name__.lower(),
            kind="linear" if isinstance(module, nn.Linear) else "conv",
            out_mean=values[OUT_MEAN],
            out_std=values[OUT_STD],
            zeros=None if zeros != zeros else zeros,  # NaN: no activation followed
            dead=None if dead != dead else dead,
            grad_norm=values[GRAD],
            weight_norm=values[WEIGHT],
            update_ratio=values[UPDATE],
        )

    def _require_stats(self) -> torch.Tensor:
        if self._stats is None:
            raise RuntimeError("the layer probe is not sampling a step")
        return self._stats


def _to_host(stats: torch.Tensor) -> tuple[torch.Tensor, torch.cuda.Event | None]:
    """Start copying `stats` to host memory; on CUDA an event tells when it has arrived."""
    if stats.device.type != "cuda":
        return stats.clone(), None
    host = torch.empty(stats.shape, dtype=stats.dtype, pin_memory=True)
    host.copy_(stats, non_blocking=True)
    ready = torch.cuda.Event()
    ready.record()
    return host, ready
