import pytest
import torch

from tuitrain.config.augment import Augment
from tuitrain.config.data import ShapesData
from tuitrain.data import prepare_data
from tuitrain.data.stream import EpochSampler

CPU = torch.device("cpu")


def shapes(**changes: object) -> ShapesData:
    values: dict[str, object] = {"size": 45, "image_size": 16, "val_split": 0.2, "batch_size": 8}
    return ShapesData.model_validate({**values, **changes})


def batches(prepared, epoch: int, start: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:  # type: ignore[no-untyped-def]
    return list(prepared.train.epoch(epoch, start))


def same(
    a: list[tuple[torch.Tensor, torch.Tensor]], b: list[tuple[torch.Tensor, torch.Tensor]]
) -> bool:
    return len(a) == len(b) and all(
        torch.equal(x, u) and torch.equal(y, v) for (x, y), (u, v) in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("augment", [{"flip": {"p": 1.0}}, {"mixup": {"alpha": 0.5}}])
def test_stream_batches_equal_memory_batches_when_nothing_is_random_per_sample(
    augment: dict[str, object],
) -> None:
    # Same (seed, epoch) order; a flip with p=1 is deterministic; mixup is the same batched code.
    config = Augment.model_validate(augment)
    memory = prepare_data(shapes(loader="memory"), config, device=CPU, seed=3)
    stream = prepare_data(shapes(loader="stream", workers=0), config, device=CPU, seed=3)
    assert stream.loader == "stream" and not stream.exact_resume and memory.exact_resume
    assert stream.mean == memory.mean and stream.train.batches_per_epoch == 5
    assert same(batches(memory, 2), batches(stream, 2))
    assert same(batches(memory, 2)[3:], batches(stream, 2, 3))
    assert stream.val is not None and memory.val is not None
    assert same(list(memory.val), list(stream.val))


def test_per_sample_transforms_run_in_worker_processes() -> None:
    augment = Augment.model_validate(
        {"crop": {}, "flip": {}, "affine": {}, "color": {"sharpness": 0.2}, "erasing": {}}
    )
    data = shapes(loader="stream", workers=2, val_split=0.0, drop_last=True)
    prepared = prepare_data(data, augment, device=CPU, seed=0, channels_last=True)
    first = batches(prepared, 0)
    second = batches(prepared, 0)
    assert len(first) == prepared.train.batches_per_epoch == 5
    for x, y in first:
        assert x.shape == (8, 3, 16, 16) and x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.is_contiguous(memory_format=torch.channels_last)
    labels = [y for _, y in first]
    assert all(torch.equal(a, b) for a, b in zip(labels, [y for _, y in second], strict=True))
    assert not torch.equal(first[0][0], second[0][0])  # new random augmentation each pass
    pixels = torch.cat([x for x, _ in first])
    assert pixels.mean().abs() < 0.5 and 0.5 < pixels.std() < 1.5  # normalized on the device


def test_sampler_order_is_seeded_by_epoch_and_resumes_mid_way() -> None:
    sampler = EpochSampler(10, shuffle=True, seed=1, batch_size=3)
    sampler.set_epoch(4)
    full = list(sampler)
    sampler.set_epoch(4, start_batch=2)
    assert list(sampler) == full[6:] and len(sampler) == 4
    sampler.set_epoch(5)
    assert sorted(full) == list(range(10)) and list(sampler) != full
    assert list(EpochSampler(4, shuffle=False, seed=1, batch_size=2)) == [0, 1, 2, 3]
    dropping = EpochSampler(10, shuffle=False, seed=1, batch_size=3, drop_last=True)
    assert list(dropping) == list(range(9))


@pytest.mark.parametrize("loader", ["memory", "stream"])
def test_soft_targets_come_back_float_and_summing_to_one(loader: str) -> None:
    augment = Augment.model_validate({"cutmix": {}})
    prepared = prepare_data(shapes(loader=loader, workers=0), augment, device=CPU, seed=0)
    _, y = batches(prepared, 0)[0]
    assert y.dtype == torch.float32 and y.shape == (8, 10)
    assert torch.allclose(y.sum(1), torch.ones(8), atol=1e-6)
