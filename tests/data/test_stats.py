import pytest
import torch

from tuitrain.config.data import GivenNorm, NoNorm
from tuitrain.data.stats import Normalizer, channel_stats, check_stats, given_stats, uint8_chunks
from tuitrain.errors import UserError


def test_channel_stats_match_a_direct_float64_computation() -> None:
    images = torch.randint(0, 256, (50, 3, 7, 5), dtype=torch.uint8)
    images[:, 2] //= 4
    mean, std = channel_stats(uint8_chunks(images, values=7 * 3 * 7 * 5))
    pixels = images.double().div(255).transpose(0, 1).reshape(3, -1)
    assert mean == pytest.approx(pixels.mean(1).tolist(), abs=1e-12)
    assert std == pytest.approx(pixels.std(1, correction=0).tolist(), abs=1e-9)
    assert std[2] < std[0] / 3


def test_given_none_and_mismatched_statistics() -> None:
    assert given_stats(NoNorm(), 2) == ((0.0, 0.0), (1.0, 1.0))
    given = GivenNorm(mean=[0.5], std=[0.25])
    assert given_stats(given, 1) == ((0.5,), (0.25,))
    with pytest.raises(UserError, match=r"data.normalize has 1 mean.*3 channels"):
        given_stats(given, 3)
    with pytest.raises(UserError, match="checkpoint"):
        check_stats(((0.1, 0.2), (0.3, 0.4)), 3, "the checkpoint's normalization statistics")


def test_normalizer_standardizes_and_none_is_free() -> None:
    x = torch.rand(20, 2, 4, 4)
    out = Normalizer(((0.25, 0.5), (0.5, 0.1)), torch.device("cpu"))(x)
    assert torch.allclose(out[:, 0], (x[:, 0] - 0.25) / 0.5, atol=1e-6)
    assert torch.allclose(out[:, 1], (x[:, 1] - 0.5) / 0.1, atol=1e-5)
    identity = Normalizer(((0.0, 0.0), (1.0, 1.0)), torch.device("cpu"))
    assert identity(x) is x
