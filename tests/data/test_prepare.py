import pytest
import torch

from tuitrain.config.augment import Augment
from tuitrain.config.data import ShapesData
from tuitrain.data import capacity, prepare_data
from tuitrain.data.images import ImageSet
from tuitrain.data.prepare import choose_loader
from tuitrain.errors import UserError

CPU = torch.device("cpu")


def shapes(**changes: object) -> ShapesData:
    values: dict[str, object] = {"size": 60, "image_size": 16, "val_split": 0.25, "batch_size": 8}
    return ShapesData.model_validate({**values, **changes})


def test_prepared_data_describes_what_the_loaders_yield() -> None:
    lines: list[str] = []
    prepared = prepare_data(
        shapes(train_subset=30), Augment(), device=CPU, seed=0, log=lines.append
    )
    assert lines[0] == "drawing 60 shapes" and "computing channel statistics" in lines
    assert any(line.endswith("MiB of images on the CPU") for line in lines), lines
    assert prepared.train_size == 30 and prepared.val_size == 15
    assert prepared.num_classes == 10 and prepared.class_names[0] == "circle"
    assert prepared.image_shape == (3, 16, 16) and prepared.loader == "memory"
    assert prepared.train.batches_per_epoch == 4 and prepared.val is not None
    assert prepared.val.batches == 1  # eval batches default to twice the training batch
    train = torch.cat([x for x, _ in prepared.train.epoch(0)])
    # computed on exactly these training images: they come out standardized per channel
    assert train.mean((0, 2, 3)).abs().max() < 1e-5
    assert (train.std((0, 2, 3), correction=0) - 1).abs().max() < 1e-4
    assert all(0 < s < 1 for s in prepared.std)


def test_normalization_given_none_or_restored_from_a_checkpoint() -> None:
    given = {"kind": "given", "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}
    prepared = prepare_data(shapes(normalize=given), Augment(), device=CPU, seed=0)
    assert prepared.mean == (0.5, 0.5, 0.5) and prepared.std == (0.25, 0.25, 0.25)
    raw = prepare_data(shapes(normalize={"kind": "none"}), Augment(), device=CPU, seed=0)
    assert raw.mean == (0.0,) * 3 and raw.std == (1.0,) * 3
    x, _ = next(raw.train.epoch(0))
    assert x.min() >= 0 and x.max() <= 1
    saved = ((0.1, 0.2, 0.3), (0.4, 0.5, 0.6))
    restored = prepare_data(shapes(), Augment(), device=CPU, seed=0, stats=saved)
    assert (restored.mean, restored.std) == saved
    with pytest.raises(UserError, match="checkpoint"):
        prepare_data(shapes(), Augment(), device=CPU, seed=0, stats=((0.5,), (0.5,)))
    one = {"kind": "given", "mean": [0.5], "std": [0.2]}
    with pytest.raises(UserError, match=r"data\.normalize"):
        prepare_data(shapes(normalize=one), Augment(), device=CPU, seed=0)


def test_train_seed_changes_the_order_not_the_images() -> None:
    a = prepare_data(shapes(), Augment(), device=CPU, seed=0)
    b = prepare_data(shapes(), Augment(), device=CPU, seed=1)
    xa = torch.cat([x for x, _ in a.train.epoch(0)])
    xb = torch.cat([x for x, _ in b.train.epoch(0)])
    assert not torch.equal(xa, xb)
    assert torch.allclose(xa.sum(0), xb.sum(0), atol=1e-4)  # same images, other order


def test_auto_keeps_small_sets_in_memory_and_streams_what_does_not_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    images = ImageSet(torch.zeros(100, 3, 8, 8, dtype=torch.uint8), torch.zeros(100).long())
    assert choose_loader("auto", images, None, CPU) == "memory"
    assert choose_loader("stream", images, None, CPU) == "stream"
    monkeypatch.setattr(capacity, "budget", lambda device: 5000)  # bytes
    cuda = torch.device("cuda")
    assert choose_loader("auto", images.take(torch.arange(10)), None, cuda) == "memory"
    assert choose_loader("auto", images, None, cuda) == "stream"
    assert choose_loader("auto", images, None, CPU) == "memory"  # already in RAM


def test_mistakes_that_would_break_training_are_user_errors() -> None:
    with pytest.raises(UserError, match=r"data\.drop_last"):
        prepare_data(shapes(batch_size=64, drop_last=True), Augment(), device=CPU, seed=0)
    crop = Augment.model_validate({"crop": {"padding": 16, "fill": "reflect"}})
    with pytest.raises(UserError, match=r"augment\.crop\.padding"):
        prepare_data(shapes(), crop, device=CPU, seed=0)
    zeros = Augment.model_validate({"crop": {"padding": 16, "fill": "zeros"}})
    assert prepare_data(shapes(), zeros, device=CPU, seed=0).train_size == 45


def test_no_validation_when_val_split_is_zero() -> None:
    prepared = prepare_data(shapes(val_split=0.0), Augment(), device=CPU, seed=0)
    assert prepared.val is None and prepared.val_size == 0 and prepared.train_size == 60
