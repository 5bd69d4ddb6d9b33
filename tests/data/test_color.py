import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from tuitrain.config.augment import Color
from tuitrain.data.color import blend, grey, grey_mean, random_color, smoothed


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def images(n: int = 8, c: int = 3, size: int = 9, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, c, size, size, generator=gen(seed))


@pytest.mark.parametrize("factor", [0.0, 0.6, 1.0, 1.7])
def test_each_blend_matches_torchvision(factor: float) -> None:
    x = images()
    f = torch.full((8, 1, 1, 1), factor)
    assert torch.allclose(
        blend(x, torch.zeros_like(x), f), TF.adjust_brightness(x, factor), atol=1e-6
    )
    assert torch.allclose(grey_mean(x), grey(x).mean((1, 2, 3), keepdim=True), atol=1e-6)
    assert torch.allclose(blend(x, grey_mean(x), f), TF.adjust_contrast(x, factor), atol=1e-6)
    assert torch.allclose(blend(x, grey(x), f), TF.adjust_saturation(x, factor), atol=1e-6)
    assert torch.allclose(blend(x, smoothed(x), f), TF.adjust_sharpness(x, factor), atol=1e-6)


def test_zero_strength_and_p_zero_are_the_identity() -> None:
    x = images()
    still = Color(p=1.0, brightness=0, contrast=0, saturation=0, sharpness=0)
    assert torch.equal(random_color(x, still, gen()), x)
    off = Color(p=0.0, brightness=0.5, contrast=0.5, saturation=0.5, sharpness=0.5)
    assert torch.equal(random_color(x, off, gen()), x)


def test_brightness_scales_each_sample_within_its_bounds() -> None:
    x = 0.25 + 0.25 * images(n=2000)  # dark enough that 1.5x never clips
    out = random_color(x, Color(brightness=0.5, contrast=0, saturation=0), gen())
    ratio = out.mean((1, 2, 3)) / x.mean((1, 2, 3))
    assert ratio.min() >= 0.5 - 1e-5 and ratio.max() <= 1.5 + 1e-5
    assert ratio.mean().item() == pytest.approx(1.0, abs=0.02)
    assert ratio.std().item() == pytest.approx(1 / (12**0.5) * 1.0, rel=0.1)  # U(0.5, 1.5)


def test_contrast_keeps_the_grey_mean_and_saturation_keeps_grey_images() -> None:
    x = 0.3 + 0.4 * images(n=200)
    out = random_color(x, Color(brightness=0, contrast=0.4, saturation=0), gen())
    # torchvision's grey weights sum to 0.9999, hence the tolerance.
    assert torch.allclose(grey(out).mean((1, 2, 3)), grey(x).mean((1, 2, 3)), atol=1e-4)
    spread = out.std((1, 2, 3)) / x.std((1, 2, 3))
    assert spread.min() >= 0.6 - 1e-4 and spread.max() <= 1.4 + 1e-4
    flat = grey(x).expand(-1, 3, -1, -1).contiguous()
    kept = random_color(flat, Color(brightness=0, contrast=0, saturation=0.9), gen())
    assert torch.allclose(kept, flat, atol=2e-4)


def test_one_channel_images_are_handled() -> None:
    x = images(c=1)
    out = random_color(x, Color(brightness=0.3, contrast=0.3, saturation=0.3, sharpness=0.3), gen())
    assert out.shape == x.shape and not torch.equal(out, x)
    assert out.min() >= 0 and out.max() <= 1
