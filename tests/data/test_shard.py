"""Sharding: at every step, the ranks' batches together are exactly the single-process batch."""

from __future__ import annotations

import pytest
import torch

from tuitrain.config.augment import Augment
from tuitrain.config.data import ShapesData
from tuitrain.data import prepare_data
from tuitrain.data.shard import Shard, check_shares, global_batch_size
from tuitrain.errors import UserError

CPU = torch.device("cpu")
# Every batched augmentation, mixup and cutmix included (they pair images across the ranks).
EVERYTHING = {
    "crop": {"padding": 2},
    "flip": {},
    "color": {"brightness": 0.2},
    "mixup": {"alpha": 0.4, "p": 0.5},
    "cutmix": {"alpha": 1.0, "p": 0.5},
    "erasing": {"p": 0.5},
}


def prepared(loader: str, augment: dict[str, object], shard: Shard, **data: object):  # type: ignore[no-untyped-def]
    values = {"size": 50, "image_size": 16, "val_split": 0.2, "batch_size": 8, "workers": 0}
    config = ShapesData.model_validate({**values, "loader": loader, **data})
    return prepare_data(config, Augment.model_validate(augment), device=CPU, seed=7, shard=shard)


def steps(data, epoch: int, start: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:  # type: ignore[no-untyped-def]
    return list(data.train.epoch(epoch, start))


@pytest.mark.parametrize(
    ("loader", "augment"),
    [("memory", EVERYTHING), ("memory", {}), ("stream", {}), ("stream", {"flip": {"p": 1.0}})],
)
def test_the_union_of_two_ranks_batches_is_the_single_process_batch(
    loader: str, augment: dict[str, object]
) -> None:
    # 40 training images in batches of 8: 5 steps; then 4 per rank.
    whole = prepared(loader, augment, Shard())
    ranks = [prepared(loader, augment, Shard(rank, 2)) for rank in range(2)]
    assert [r.train.batches_per_epoch for r in ranks] == [whole.train.batches_per_epoch] * 2
    for epoch, start in ((0, 0), (3, 2)):  # and from the middle of an epoch, as on resume
        one = steps(whole, epoch, start)
        two = [steps(r, epoch, start) for r in ranks]
        assert len(one) == len(two[0]) == len(two[1]) == 5 - start
        for (x, y), (x0, y0), (x1, y1) in zip(one, *two, strict=True):
            assert x0.shape[0] == x1.shape[0] == 4
            assert torch.equal(torch.cat([x0, x1]), x) and torch.equal(torch.cat([y0, y1]), y)


def test_validation_is_split_into_shares_that_together_are_the_whole_set() -> None:
    whole = prepared("memory", {}, Shard(), size=55)
    ranks = [prepared("memory", {}, Shard(rank, 2), size=55) for rank in range(2)]
    images = [torch.cat([x for x, _ in r.val]) for r in ranks]
    assert [len(i) for i in images] == [6, 5]  # 11 images: the first rank takes one more
    assert torch.equal(torch.cat(images), torch.cat([x for x, _ in whole.val]))


def test_a_short_last_batch_is_split_as_evenly_as_it_goes() -> None:
    # 44 training images: five batches of 8, then 4 (2 per rank)
    ranks = [prepared("stream", {}, Shard(rank, 2), size=55) for rank in range(2)]
    whole = prepared("stream", {}, Shard(), size=55)
    last = [steps(r, 0)[-1][1] for r in ranks]
    assert [len(y) for y in last] == [2, 2]
    assert torch.equal(torch.cat(last), steps(whole, 0)[-1][1])
    assert global_batch_size(44, 8, 5) == 4 and Shard(2, 3).bounds(4) == (3, 4)


def test_a_last_batch_smaller_than_the_rank_count_is_refused() -> None:
    with pytest.raises(UserError, match="last batch of each epoch holds 1 of the 41"):
        check_shares(41, 8, drop_last=False, ranks=2)
    check_shares(41, 8, drop_last=True, ranks=2)  # dropped: nothing to share
