"""Starting the process group: the backend for the gradients and a gloo side group for steering.

NCCL carries the gradients between GPUs, gloo between CPU workers; the control messages always
go over a separate gloo group, so they never queue behind gradient traffic and never touch a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from tuitrain.distributed.env import Placement
from tuitrain.distributed.faults import DistributedFailure, explain_setup_error


@dataclass
class Groups:
    placement: Placement
    backend: str
    device: torch.device
    side: dist.ProcessGroup
    """gloo, for the control exchange and other small host-side messages."""
    timeout_s: float

    def close(self) -> None:
        if dist.is_initialized():
            dist.destroy_process_group()


def rank_device(placement: Placement, device_choice: str) -> torch.device:
    """Each rank's device: GPU number LOCAL_RANK when the preset trains on CUDA, else the CPU."""
    wants_cuda = device_choice.startswith("cuda") or (
        device_choice == "auto" and torch.cuda.is_available()
    )
    if not wants_cuda:
        return torch.device("cpu")
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if placement.local_rank >= count:
        raise DistributedFailure(
            f"{placement.name} needs GPU {placement.local_rank}, and {placement.host} has "
            f"{count} usable GPU{'s' if count != 1 else ''}",
            hint=f"start at most {count} workers per node (--devices {count} or "
            f"--nproc-per-node {count}), or train on CPU workers with --set train.device=cpu",
        )
    return torch.device("cuda", placement.local_rank)


def open_groups(placement: Placement, device: torch.device, timeout_s: float) -> Groups:
    """Join the job (torchrun's environment says where); raises DistributedFailure."""
    backend = "nccl" if device.type == "cuda" else "gloo"
    timeout = timedelta(seconds=timeout_s)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    try:
        dist.init_process_group(
            backend,
            timeout=timeout,
            rank=placement.rank,
            world_size=placement.world_size,
            device_id=device if device.type == "cuda" else None,
        )
        side = dist.new_group(backend="gloo", timeout=timeout)
    except DistributedFailure:
        raise
    except Exception as exc:  # torch raises several kinds here, all of them C++ texts
        raise explain_setup_error(exc, timeout_s) from None
    # Every rank is a member of the side group, so new_group gave a group, not its sentinel.
    assert isinstance(side, dist.ProcessGroup)
    return Groups(placement, backend, device, side, timeout_s)
