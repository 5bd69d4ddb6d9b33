"""The complete training state: what a checkpoint holds and what a NaN roll-back restores.

Everything here must load with `torch.load(weights_only=True)`: tensors, numbers, strings,
lists, tuples and dicts only; no pickled objects.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

if TYPE_CHECKING:
    from tuitrain.engine.setup import Setup

FORMAT = "tuitrain-checkpoint"
VERSION = 1


@dataclass
class Progress:
    """Where the loop is. `batch` counts the batches done in the 0-based `epoch`."""

    epoch: int = 0
    batch: int = 0
    step: int = 0
    elapsed: float = 0.0
    best: float | None = None
    rollbacks: int = 0
    epoch_started: float = 0.0
    """Training time (`elapsed`'s clock) when the current epoch began, and the time its
    validations took so far: an epoch a resume split in two is timed as a whole, its images
    (the meter's, carried across too) over the training time of both parts."""
    epoch_val_s: float = 0.0


def capture_rng() -> dict[str, Any]:
    np_state = np.random.get_state(legacy=True)
    if not isinstance(np_state, tuple):  # legacy=True gives the tuple form, always
        raise TypeError("numpy returned its random state as a dict")
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [np_state[0], np_state[1].tolist(), *np_state[2:]],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def capture_state(setup: Setup, progress: Progress, extra: dict[str, Any]) -> dict[str, Any]:
    """A reference to the live state (tensors shared with the model); copy it to keep it."""
    data = setup.data
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": setup.model.state_dict(),
        "optimizer": setup.optimizer.state_dict(),
        "lr": setup.lr.state_dict(),
        "scaler": setup.scaler.state_dict() if setup.scaler is not None else None,
        "progress": asdict(progress),
        "rng": capture_rng(),
        "stats": {"mean": list(data.mean), "std": list(data.std)},
        # What tuitrain.load and predict need besides the weights, for every kind of data.
        "data": {"classes": list(data.class_names), "image_shape": list(data.image_shape)},
        **extra,
    }


def model_mismatch(model: torch.nn.Module, saved: Any) -> str:
    """Why `saved` cannot be `model`'s weights (empty when it can): a checkpoint that unzips
    but holds an empty, partial or mis-shaped model state, or another preset's model."""
    if not isinstance(saved, dict) or not saved:
        return "it holds no model weights"
    expected = model.state_dict()
    missing = [key for key in expected if key not in saved]
    unexpected = [key for key in saved if key not in expected]
    if missing or unexpected:
        first = f"no {missing[0]}" if missing else f"an unknown {unexpected[0]}"
        return f"its model has {len(saved)} tensors, the preset's {len(expected)} ({first})"
    for key, tensor in expected.items():
        held = saved[key]
        if not isinstance(held, torch.Tensor) or held.shape != tensor.shape:
            shape = tuple(held.shape) if isinstance(held, torch.Tensor) else type(held).__name__
            return f"{key} is {shape}, the preset's model has {tuple(tensor.shape)}"
    return ""


def restore_state(setup: Setup, state: dict[str, Any]) -> Progress:
    setup.model.load_state_dict(state["model"])
    setup.optimizer.load_state_dict(state["optimizer"])
    setup.lr.load_state_dict(state["lr"])
    if setup.scaler is not None and state.get("scaler") is not None:
        setup.scaler.load_state_dict(state["scaler"])
    restore_rng(state["rng"])
    return Progress(**state["progress"])


def detached_copy(value: Any) -> Any:
    """A deep copy on the CPU, so later training steps cannot change it."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: detached_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [detached_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(detached_copy(v) for v in value)
    return value
