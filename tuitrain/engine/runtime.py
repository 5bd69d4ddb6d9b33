"""Where and how the math runs: device, precision, memory format."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from tuitrain.config.train import Train
from tuitrain.errors import UserError


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    precision: str  # "fp32", "bf16" or "fp16"
    channels_last: bool

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)

    def autocast(self) -> contextlib.AbstractContextManager[object]:
        dtype = self.autocast_dtype
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    @property
    def device_name(self) -> str:
        if self.device.type == "cuda":
            return torch.cuda.get_device_name(self.device)
        return "CPU"

    def memory_mb(self) -> float | None:
        """Device memory in use; reads a host-side counter, so it costs no sync."""
        if self.device.type != "cuda":
            return None
        return torch.cuda.memory_allocated(self.device) / 2**20


def resolve_runtime(train: Train) -> Runtime:
    """Turn the preset's 'auto' choices into concrete ones for this machine."""
    device = _resolve_device(train.device)
    precision = train.precision
    if precision == "auto":
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        precision = "bf16" if cuda_bf16 else ("fp16" if device.type == "cuda" else "fp32")
    if precision == "fp16" and device.type != "cuda":
        raise UserError(
            "train.precision fp16 needs a CUDA device", hint="use bf16 or fp32 on the CPU"
        )
    channels_last = train.channels_last
    if channels_last == "auto":
        channels_last = device.type == "cuda"
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return Runtime(device=device, precision=precision, channels_last=bool(channels_last))


def _resolve_device(choice: str) -> torch.device:
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(
                f"train.device is {choice}, but this machine has no usable CUDA device",
                hint="use --device cpu (or train.device: auto)",
            )
        device = torch.device(choice)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(
                f"train.device is {choice}, but there are {torch.cuda.device_count()} GPUs",
                hint="GPUs are numbered from cuda:0",
            )
        return device
    return torch.device("cpu")
