"""How much memory is free where the data would live: decides 'auto' between memory and stream."""

from __future__ import annotations

import os
from pathlib import Path

import torch

DEVICE_SHARE = 0.4
"""Of the free GPU memory: the rest is for the model, its activations and the optimizer."""
RAM_SHARE = 0.5
"""Of the available RAM on the CPU."""


def available_ram() -> int | None:
    """Bytes the OS can hand out without swapping, or None when it cannot be told."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def budget(device: torch.device) -> int | None:
    """Bytes of uint8 images that may be kept on `device`; None when unknown."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free * DEVICE_SHARE)
    ram = available_ram()
    return None if ram is None else int(ram * RAM_SHARE)


def fits(nbytes: int, device: torch.device) -> bool:
    limit = budget(device)
    return limit is None or nbytes <= limit
