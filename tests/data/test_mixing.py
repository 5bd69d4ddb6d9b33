import pytest
import torch

from tuitrain.config.augment import Cutmix, Mixup
from tuitrain.data.mixing import Mixer


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def constant_images(n: int, classes: int = 10, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample i is filled with the value i + 1: a mixed pixel tells which images it blends."""
    y = torch.arange(n) % classes
    x = (torch.arange(n, dtype=torch.float32) + 1).view(n, 1, 1, 1).expand(n, 3, size, size)
    return x.contiguous(), y


def partners(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The partner of each sample: the other value found in its output (itself if unmixed)."""
    own = x[:, 0, 0, 0]
    values = out[:, 0].flatten(1)
    far = (values - own[:, None]).abs().argmax(1)
    return values.gather(1, far[:, None]).squeeze(1)


def test_mixup_targets_sum_to_one_and_lambda_is_beta() -> None:
    n = 1500
    x, y = constant_images(n, classes=n)  # every label differs: lam reads off the targets
    out, t = Mixer(Mixup(p=1.0, alpha=1.0), None, n)(x, y, gen())
    assert t.dtype == torch.float32 and t.shape == (n, n)
    assert torch.allclose(t.sum(1), torch.ones(n), atol=1e-6)
    lam = t[torch.arange(n), y]
    others = t.clone()
    others[torch.arange(n), y] = 0
    partner = others.argmax(1)  # labels are sample indices here
    assert torch.allclose(others.sum(1), 1 - lam, atol=1e-6)
    # the image is blended with the same lambda as the targets
    expected = lam * x[:, 0, 0, 0] + (1 - lam) * x[partner, 0, 0, 0]
    assert torch.allclose(out[:, 0, 0, 0], expected, rtol=1e-5)
    assert (out[:, 0] == out[:, :1, :1, 0]).all()  # one uniform blend per constant image
    assert lam.mean().item() == pytest.approx(0.5, abs=0.03)
    assert lam.var().item() == pytest.approx(1 / 12, rel=0.12)


def test_cutmix_lambda_is_the_area_left_untouched() -> None:
    n = 2000
    x, y = constant_images(n, classes=n)
    out, t = Mixer(None, Cutmix(p=1.0, alpha=1.0), n)(x, y, gen(1))
    assert torch.allclose(t.sum(1), torch.ones(n), atol=1e-6)
    lam = t[torch.arange(n), y]
    own = (out[:, 0] == x[:, 0]).float().mean((1, 2))
    assert torch.allclose(own, lam, atol=1e-6)
    # every output pixel is either the sample's own or one single partner's
    partner_value = partners(x, out)
    either = (out[:, 0] == x[:, 0, :1, :1]) | (out[:, 0] == partner_value[:, None, None])
    assert either.all()
    # Drawn lam ~ U(0, 1) (mean 0.5), but boxes centred anywhere are clipped at the border:
    # with side s = sqrt(1 - lam), E[kept width] = s - s^2 / 4, so E[lam] = 1 - E[(s - s^2/4)^2]
    # = 1 - (1/2 - 1/5 + 1/48) = 0.679.
    assert lam.mean().item() == pytest.approx(0.679, abs=0.02)


def test_p_zero_leaves_images_and_gives_one_hot_targets() -> None:
    x, y = constant_images(50)
    out, t = Mixer(Mixup(p=0.0), Cutmix(p=0.0), 10)(x, y, gen())
    assert torch.equal(out, x)
    assert torch.equal(t, torch.nn.functional.one_hot(y, 10).float())


def test_both_on_each_sample_uses_one_of_them() -> None:
    n = 2000
    x, y = constant_images(n, classes=n)
    out, t = Mixer(Mixup(p=1.0, alpha=1.0), Cutmix(p=1.0, alpha=1.0), n)(x, y, gen(2))
    assert torch.allclose(t.sum(1), torch.ones(n), atol=1e-6)
    own = out[:, 0] == x[:, 0, :1, :1]
    uniform = (out[:, 0] == out[:, 0, :1, :1]).flatten(1).all(1)
    cut = own.flatten(1).any(1) | ~uniform  # cutmix keeps own pixels; mixup blends all alike
    assert cut.float().mean().item() == pytest.approx(0.5, abs=0.05)
    partner_value = partners(x, out)
    pasted = own | (out[:, 0] == partner_value[:, None, None])
    assert pasted[cut].all()


def test_mixing_is_per_sample_and_seeded() -> None:
    x, y = constant_images(256)
    mixer = Mixer(Mixup(alpha=0.4), Cutmix(), 10)
    a_x, a_t = mixer(x, y, gen(3))
    b_x, b_t = mixer(x, y, gen(3))
    assert torch.equal(a_x, b_x) and torch.equal(a_t, b_t)
    lam = a_t[torch.arange(256), y]
    assert lam.unique().numel() > 100
    c_x, _ = mixer(x, y, gen(4))
    assert not torch.equal(a_x, c_x)
