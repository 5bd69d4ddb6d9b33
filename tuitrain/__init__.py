"""tuitrain: a terminal training monitor for convolutional image classifiers in PyTorch."""

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["FitResult", "Preprocess", "Trained", "__version__", "fit", "load"]

if TYPE_CHECKING:
    from tuitrain.api import FitResult, fit
    from tuitrain.use import Preprocess, Trained, load

_LAZY = {
    "fit": "tuitrain.api",
    "FitResult": "tuitrain.api",
    "load": "tuitrain.use",
    "Trained": "tuitrain.use",
    "Preprocess": "tuitrain.use",
}


def __getattr__(name: str) -> Any:
    """fit and load import torch: only when used, so `tuitrain validate` stays fast."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tuitrain' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


# tuitrain trains beside a monitor thread, often on shared machines. OpenMP's default is to
# keep idle worker threads spinning; when another thread needs the core, every parallel region
# then waits for a descheduled spinner (measured: 10x slower CPU training on 2 busy cores).
# Passive waiting costs nothing measurable when the cores are free. OpenMP reads this when
# torch loads, so it is set here, before any tuitrain module imports torch; a value the user
# set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
