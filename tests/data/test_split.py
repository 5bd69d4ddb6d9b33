import torch

from tuitrain.data.images import FileSet, ImageSet, first, split_indices


def test_split_is_disjoint_complete_deterministic_and_stratified() -> None:
    labels = torch.cat([torch.zeros(80), torch.ones(15), torch.full((5,), 2)]).long()
    train, val = split_indices(labels, 0.2, torch.Generator().manual_seed(0))
    again = split_indices(labels, 0.2, torch.Generator().manual_seed(0))
    assert torch.equal(train, again[0]) and torch.equal(val, again[1])
    assert sorted(torch.cat([train, val]).tolist()) == list(range(100))
    assert len(val) == 20
    assert torch.bincount(labels[val], minlength=3).tolist() == [16, 3, 1]
    other = split_indices(labels, 0.2, torch.Generator().manual_seed(1))
    assert not torch.equal(val.sort().values, other[1].sort().values)


def test_both_parts_come_back_shuffled_so_a_prefix_mixes_classes() -> None:
    labels = torch.arange(200) // 40  # sorted by class, as an image folder lists them
    train, val = split_indices(labels, 0.25, torch.Generator().manual_seed(0))
    assert labels[train[:20]].unique().numel() >= 4
    assert labels[val[:20]].unique().numel() >= 4


def test_tiny_fraction_still_holds_out_one_and_keeps_one() -> None:
    labels = torch.arange(4)
    train, val = split_indices(labels, 0.01, torch.Generator().manual_seed(0))
    assert len(val) == 1 and len(train) == 3
    train, val = split_indices(torch.zeros(2, dtype=torch.long), 0.9, torch.Generator())
    assert len(val) == 1 and len(train) == 1


def test_first_takes_a_prefix_of_either_kind() -> None:
    images = ImageSet(torch.arange(5, dtype=torch.uint8).view(5, 1, 1, 1), torch.arange(5))
    assert first(images, 3).labels.tolist() == [0, 1, 2]
    assert first(images, None) is images and first(images, 9) is images
    files = FileSet(tuple(f"{i}.png" for i in range(4)), torch.arange(4), 8, 3)  # type: ignore[arg-type]
    assert first(files, 2).paths == ("0.png", "1.png")
    assert files.nbytes == 4 * 3 * 8 * 8
