import torch

from tuitrain.config.augment import Augment
from tuitrain.data.augment import BatchAugment

EVERYTHING = Augment.model_validate(
    {
        "crop": {},
        "flip": {},
        "affine": {"shear": 5},
        "color": {"sharpness": 0.3},
        "mixup": {},
        "cutmix": {},
        "erasing": {},
    }
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def batch(n: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.rand(n, 3, 16, 16, generator=gen(9))
    return x, torch.arange(n) % 10


def test_everything_off_is_the_identity() -> None:
    x, y = batch()
    augment = BatchAugment(Augment(), 10)
    out, targets = augment(x, y, gen())
    assert torch.equal(out, x) and torch.equal(targets, y)
    assert not augment.active and not augment.soft_targets


def test_normalization_runs_between_pixel_and_mixing_steps() -> None:
    x, y = batch()
    out, _ = BatchAugment(Augment(), 10, normalize=lambda t: (t - 0.5) * 4)(x, y, gen())
    assert torch.allclose(out, (x - 0.5) * 4)
    # erasing fills zeros after normalization: the mean, not black
    erase = Augment.model_validate({"erasing": {"p": 1.0}})
    out, _ = BatchAugment(erase, 10, normalize=lambda t: t + 10)(x, y, gen())
    assert out.min() == 0 and ((out == 0) | (out >= 10)).all()


def test_same_seed_same_batch_and_every_sample_differs() -> None:
    x, y = batch()
    augment = BatchAugment(EVERYTHING, 10)
    a_x, a_y = augment(x, y, gen(1))
    b_x, b_y = augment(x, y, gen(1))
    assert torch.equal(a_x, b_x) and torch.equal(a_y, b_y)
    c_x, _ = augment(x, y, gen(2))
    assert not torch.equal(a_x, c_x)
    assert a_y.dtype == torch.float32 and a_y.shape == (32, 10)
    assert torch.allclose(a_y.sum(1), torch.ones(32), atol=1e-6)


def test_identical_samples_get_different_augmentations() -> None:
    x = torch.rand(1, 3, 16, 16, generator=gen()).expand(64, -1, -1, -1).contiguous()
    y = torch.zeros(64, dtype=torch.int64)
    pixel_only = Augment.model_validate({"crop": {}, "affine": {}, "color": {}})
    out, _ = BatchAugment(pixel_only, 10)(x, y, gen(3))
    distinct = {tuple(sample.flatten()[:40].tolist()) for sample in out}
    assert len(distinct) == 64
