"""Seeds derived from (run seed, stream, epoch, batch), so any batch can be replayed alone.

Every random draw of the data pipeline comes from a torch.Generator seeded here. A batch's
randomness then depends only on where it sits in the run, never on what ran before it: that
is what lets a resumed run continue mid-epoch with the very same batches.
"""

from __future__ import annotations

import numpy as np
import torch

ORDER = 1
"""Stream of the per-epoch shuffling permutation."""
AUGMENT = 2
"""Stream of the per-batch augmentation parameters."""
SPLIT = 3
"""Stream of the train/validation split."""
DRAW = 4
"""Stream of the embedded shapes drawing."""


def derive_seed(*parts: int) -> int:
    """A well-mixed 63-bit seed from non-negative integers (SeedSequence hashing)."""
    words = np.random.SeedSequence(list(parts)).generate_state(2, dtype=np.uint32)
    return ((int(words[0]) << 32) | int(words[1])) & (2**63 - 1)


def generator(device: torch.device, *parts: int) -> torch.Generator:
    """A fresh generator on `device` seeded from `parts`."""
    gen = torch.Generator(device=device)
    gen.manual_seed(derive_seed(*parts))
    return gen
