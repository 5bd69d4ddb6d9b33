"""Failures of the process group as one line that says what happened and what to do.

torch.distributed reports a port in use, a rendezvous that never completed or a peer that died
as long C++ error texts. Users get the first fact and the fix instead.
"""

from __future__ import annotations

import os
import re

from tuitrain.errors import UserError

LOST_CONTACT = "lost contact with another rank"


class DistributedFailure(UserError):
    """The ranks cannot (or can no longer) work together: ends this rank with a message."""


def _endpoint() -> str:
    return f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"


def explain_setup_error(exc: BaseException, timeout_s: float) -> DistributedFailure:
    """A failure to start the process group, said as a user would want it."""
    text = str(exc)
    low = text.lower()
    if "address already in use" in low or "eaddrinuse" in low:
        return DistributedFailure(
            f"the rendezvous port {_endpoint()} is in use by another job",
            hint="pick a free one with torchrun --master-port PORT (or --rdzv-endpoint HOST:PORT); "
            "tuitrain run --devices N finds one itself",
        )
    if "timed out" in low or "timeout" in low or "wait timeout" in low:
        return DistributedFailure(
            f"the other ranks did not join at {_endpoint()} within {timeout_s:g} s",
            hint="start the same torchrun command on every node, with the same --nnodes and "
            "--rdzv-endpoint, and check that the port is reachable from each of them",
        )
    if "nccl" in low:
        return DistributedFailure(
            f"NCCL could not start: {first_line(text)}",
            hint="run with NCCL_DEBUG=INFO for the cause; NCCL_P2P_DISABLE=1 helps on some "
            "servers, and --set train.device=cpu trains on CPU workers (gloo) instead",
        )
    return DistributedFailure(
        f"the process group did not start at {_endpoint()}: {first_line(text)}",
        hint="check MASTER_ADDR and MASTER_PORT (torchrun sets them) and the network between nodes",
    )


def explain_runtime_error(exc: BaseException, timeout_s: float) -> DistributedFailure | None:
    """A collective that failed mid-run (a peer died, a timeout), or None for other errors."""
    text = str(exc)
    low = text.lower()
    if any(
        marker in low for marker in ("connection closed", "connection reset", "broken pipe", "peer")
    ):
        return DistributedFailure(
            f"{LOST_CONTACT} ({first_line(text)}); it crashed or was killed",
            hint="its own message is in the run directory's rank-N.log; resume with "
            "tuitrain resume RUN",
        )
    if "timed out" in low or "timeout" in low:
        return DistributedFailure(
            f"another rank did not answer within train.distributed.timeout_s ({timeout_s:g} s)",
            hint="a rank is stuck or far slower than the others; raise "
            "train.distributed.timeout_s if its steps really take that long",
        )
    if "nccl" in low:
        return DistributedFailure(
            f"NCCL failed: {first_line(text)}",
            hint="run with NCCL_DEBUG=INFO for the cause; resume with tuitrain resume RUN",
        )
    return None


def first_line(text: str, limit: int = 160) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), text.strip())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def summary_line(message: str) -> str:
    """A failure message in one line: for a traceback (an error in the user's own code), its
    exception line (`RuntimeError: ...`), else the message's first line."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        for line in reversed(lines):
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Exit)\b.*?:", line):
                return first_line(line)
    return first_line(message)
