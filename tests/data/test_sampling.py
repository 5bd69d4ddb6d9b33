import math

import pytest
import torch

from tuitrain.data.sampling import beta_variates, log_gamma_variates, uniform
from tuitrain.data.seeding import derive_seed, generator

CPU = torch.device("cpu")


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("shape", [0.2, 0.7, 1.0, 2.5, 20.0])
def test_gamma_mean_and_variance_match_the_shape(shape: float) -> None:
    g = log_gamma_variates(200_000, shape, gen(), CPU).double().exp()
    assert torch.isfinite(g).all()
    assert g.mean().item() == pytest.approx(shape, rel=0.03)
    assert g.var().item() == pytest.approx(shape, rel=0.06)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 4.0])
def test_beta_moments(alpha: float) -> None:
    lam = beta_variates(200_000, alpha, gen(1), CPU).double()
    assert ((lam >= 0) & (lam <= 1)).all()
    assert lam.mean().item() == pytest.approx(0.5, abs=0.005)
    assert lam.var().item() == pytest.approx(1 / (4 * (2 * alpha + 1)), rel=0.03)


def test_beta_one_is_uniform() -> None:
    lam = beta_variates(100_000, 1.0, gen(2), CPU)
    counts = torch.histc(lam, bins=10, min=0, max=1)
    assert (counts / 10_000 - 1).abs().max() < 0.05


def test_same_generator_seed_same_draws() -> None:
    assert torch.equal(beta_variates(64, 0.4, gen(5), CPU), beta_variates(64, 0.4, gen(5), CPU))
    assert not torch.equal(beta_variates(64, 0.4, gen(5), CPU), beta_variates(64, 0.4, gen(6), CPU))


def test_uniform_with_an_empty_span_is_exact() -> None:
    assert torch.equal(uniform((5,), 1.0, 1.0, gen(), CPU), torch.ones(5))


def test_derived_seeds_differ_by_every_part_and_are_stable() -> None:
    seeds = {derive_seed(s, 2, e, b) for s in range(3) for e in range(3) for b in range(3)}
    assert len(seeds) == 27
    assert derive_seed(7, 2, 3, 4) == derive_seed(7, 2, 3, 4)
    assert all(0 <= s < 2**63 for s in seeds)
    a = torch.rand(4, generator=generator(CPU, 1, 2))
    assert torch.equal(a, torch.rand(4, generator=generator(CPU, 1, 2)))
    assert math.isfinite(float(a.sum()))
