import pytest
import torch

from tuitrain.config.augment import Affine, Crop, Flip
from tuitrain.data.geometry import affine_thetas, crop_at, random_affine, random_crop, random_flip


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def numbered(n: int, c: int = 2, h: int = 12, w: int = 12) -> torch.Tensor:
    """Every pixel of a sample has a distinct positive value: a pixel tells where it came from."""
    return (torch.arange(c * h * w, dtype=torch.float32) + 1).view(1, c, h, w).repeat(n, 1, 1, 1)


def recovered_shifts(out: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(n, 2) shift (down, right) of each sample, found from where its pixels landed."""
    shifts = []
    for sample in out:
        rows, cols = torch.nonzero(sample[0] > 0, as_tuple=True)
        values = sample[0][rows, cols].long() - 1
        src_rows, src_cols = values // w, values % w
        d_rows, d_cols = rows - src_rows, cols - src_cols
        assert (d_rows == d_rows[0]).all() and (d_cols == d_cols[0]).all()
        shifts.append((int(d_rows[0]), int(d_cols[0])))
    return torch.tensor(shifts)


def test_crop_shifts_each_sample_within_the_padding() -> None:
    x = numbered(400)
    out = random_crop(x, Crop(padding=3, fill="zeros"), gen())
    shifts = recovered_shifts(out, 12, 12)
    assert shifts.abs().max() <= 3
    # Every one of the 7 x 7 shifts occurs, roughly uniformly: offsets are per sample.
    pairs = (shifts[:, 0] + 3) * 7 + (shifts[:, 1] + 3)
    counts = torch.bincount(pairs, minlength=49)
    assert (counts > 0).all() and counts.max() < 30
    # Zero fill: exactly the pixels shifted in from outside are 0.
    zeros = (out[:, 0] == 0).sum((1, 2))
    expected = 12 * shifts[:, 0].abs() + 12 * shifts[:, 1].abs() - (shifts.abs().prod(1))
    assert torch.equal(zeros, expected)


def test_reflect_crop_matches_torch_pad_at_a_known_offset() -> None:
    x = torch.rand(3, 2, 8, 8, generator=gen())
    offsets = torch.tensor([[0, 0], [2, 4], [4, 1]])
    out = crop_at(x, offsets, 2, "reflect")
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2), mode="reflect")
    for i, (r, c) in enumerate(offsets.tolist()):
        assert torch.equal(out[i], padded[i, :, r : r + 8, c : c + 8])
    assert torch.equal(crop_at(x, torch.full((3, 2), 2), 2, "reflect"), x)


def test_flip_rate_is_p_and_flips_are_exact() -> None:
    x = torch.rand(4000, 1, 3, 5, generator=gen())
    out = random_flip(x, Flip(p=0.3), gen(1))
    flipped = (out == x.flip(3)).flatten(1).all(1)
    kept = (out == x).flatten(1).all(1)
    assert (flipped ^ kept).all()
    assert flipped.float().mean().item() == pytest.approx(0.3, abs=0.025)


def test_affine_at_zero_strength_is_the_identity() -> None:
    x = torch.rand(6, 3, 10, 14, generator=gen())
    still = Affine(p=1.0, degrees=0, translate=0, scale=(1.0, 1.0), shear=0)
    assert torch.allclose(random_affine(x, still, gen()), x, atol=1e-5)
    assert torch.equal(random_affine(x, Affine(p=0.0), gen()), x)


def test_affine_translation_moves_the_content_by_the_drawn_shift() -> None:
    x = torch.zeros(1, 1, 16, 16)
    x[0, 0, 6:10, 6:10] = 1.0
    cfg = Affine(p=1.0, degrees=0, translate=0.25, scale=(1.0, 1.0), shear=0)
    theta = affine_thetas(1, cfg, 16, 16, gen(3), torch.device("cpu"))
    out = random_affine(x, cfg, gen(3))
    ys, xs = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    moved_x = (out[0, 0] * xs).sum() / out[0, 0].sum() - 7.5
    moved_y = (out[0, 0] * ys).sum() / out[0, 0].sum() - 7.5
    # theta maps output to input: the content moved by minus its translation, in pixels.
    assert moved_x.item() == pytest.approx(-theta[0, 0, 2].item() * 8, abs=0.05)
    assert moved_y.item() == pytest.approx(-theta[0, 1, 2].item() * 8, abs=0.05)


def test_affine_rotation_keeps_mass_and_zoom_scales_it() -> None:
    x = torch.zeros(200, 1, 32, 32)
    x[:, :, 12:20, 10:22] = 1.0
    turned = random_affine(x, Affine(degrees=180, translate=0, scale=(1, 1)), gen())
    mass = turned.sum((1, 2, 3))
    assert torch.allclose(mass, torch.full_like(mass, 96.0), rtol=0.05)
    differs = (turned - turned[:1]).abs().sum((1, 2, 3)) > 1.0
    assert differs[1:].float().mean() > 0.95  # each sample gets its own angle
    zoomed = random_affine(x[:1], Affine(degrees=0, translate=0, scale=(2, 2)), gen())
    assert zoomed.sum().item() == pytest.approx(96 * 4, rel=0.05)


def test_affine_p_picks_samples_at_rate_p() -> None:
    x = torch.rand(2000, 1, 8, 8, generator=gen())
    out = random_affine(x, Affine(p=0.4, degrees=30), gen(2))
    changed = (out != x).flatten(1).any(1)
    assert changed.float().mean().item() == pytest.approx(0.4, abs=0.04)
