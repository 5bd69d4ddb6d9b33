"""Random variates drawn from an explicit generator, vectorized over a batch, without host syncs.

torch.distributions.Beta takes no generator, so Beta variates come from two Gamma variates made
with Marsaglia and Tsang's method: a fixed number of candidates per sample, the first accepted
one kept, so the work is one batched kernel chain with no data-dependent shapes.
"""

from __future__ import annotations

import math

import torch

_CANDIDATES = 8
"""Acceptance is >= 95% per candidate for shape >= 1: all 8 fail with odds below 1e-10."""


def uniform(
    shape: tuple[int, ...], low: float, high: float, gen: torch.Generator, device: torch.device
) -> torch.Tensor:
    """U(low, high); exactly `low` everywhere when low == high (no rounding of the span)."""
    u = torch.rand(shape, generator=gen, device=device)
    return low + (high - low) * u


def bernoulli(n: int, p: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """n booleans, each True with probability p."""
    return torch.rand(n, generator=gen, device=device) < p


def log_gamma_variates(
    n: int, shape: float, gen: torch.Generator, device: torch.device
) -> torch.Tensor:
    """log of n Gamma(shape, 1) variates (the log keeps tiny values for shape < 1 finite)."""
    boosted = shape < 1.0
    a = shape + 1.0 if boosted else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    z = torch.randn((n, _CANDIDATES), generator=gen, device=device)
    u = torch.rand((n, _CANDIDATES), generator=gen, device=device)
    v = (1.0 + c * z) ** 3
    log_v = torch.log(v.clamp_min(1e-30))
    accepted = (v > 0) & (torch.log(u) < 0.5 * z * z + d - d * v + d * log_v)
    first = accepted.to(torch.uint8).argmax(dim=1, keepdim=True)
    log_g = math.log(d) + log_v.gather(1, first).squeeze(1)
    log_g = torch.where(accepted.any(dim=1), log_g, math.log(d))  # d is the mode: a safe fallback
    if boosted:
        # Gamma(a) = Gamma(a + 1) * U^(1/a)
        tiny = torch.finfo(torch.float32).tiny
        u_boost = torch.rand(n, generator=gen, device=device).clamp_min(tiny)
        log_g = log_g + torch.log(u_boost) / shape
    return log_g


def beta_variates(n: int, alpha: float, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """n Beta(alpha, alpha) variates in [0, 1]."""
    log_x = log_gamma_variates(n, alpha, gen, device)
    log_y = log_gamma_variates(n, alpha, gen, device)
    return torch.sigmoid(log_x - log_y)  # X / (X + Y), stable when both are tiny
