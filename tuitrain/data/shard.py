"""Which share of each batch a rank takes when several ranks train one run.

`data.batch_size` is the global batch. Rank r of N takes the r-th of N contiguous, as-equal-as-
possible slices of every global batch (the first ones one image longer when a last, partial
batch does not divide), so the union of the ranks' batches at a step is the batch that one
process would train on at that step. Validation sets are split the same way, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuitrain.errors import UserError


@dataclass(frozen=True)
class Shard:
    rank: int = 0
    count: int = 1

    @property
    def whole(self) -> bool:
        return self.count == 1

    def bounds(self, size: int) -> tuple[int, int]:
        """[start, end) of this rank's share of `size` items."""
        base, extra = divmod(size, self.count)
        start = self.rank * base + min(self.rank, extra)
        return start, start + base + (1 if self.rank < extra else 0)


def global_batch_size(train_size: int, batch_size: int, batch: int) -> int:
    """Images in global batch number `batch` of an epoch (the last one may be short)."""
    return max(0, min(batch_size, train_size - batch * batch_size))


def check_shares(train_size: int, batch_size: int, drop_last: bool, ranks: int) -> None:
    """Every rank needs at least one image of every batch it steps on, the last one included."""
    last = train_size % batch_size
    if ranks > 1 and not drop_last and 0 < last < ranks:
        raise UserError(
            f"the last batch of each epoch holds {last} of the {train_size} training images, "
            f"fewer than the {ranks} devices that share it",
            hint="set data.drop_last: true, or a data.batch_size that leaves a last batch of at "
            f"least {ranks} images",
        )


WHOLE = Shard()
"""A single process: every batch and the whole validation set."""
