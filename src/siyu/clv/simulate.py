"""Customers drawn from known model parameters: for parameter-recovery tests, benchmarks and demos.

Times can be rounded down to whole days (as a summary built from order dates is), which is also what lets
millions of customers fold into far fewer distinct rows.
"""

from __future__ import annotations

import numpy as np

from siyu.clv.data import Array


def _floor_days(v: Array, days_per_unit: float | None) -> Array:
    return v if days_per_unit is None else np.floor(v * days_per_unit) / days_per_unit


def simulate_bgnbd(
    n: int, r: float, alpha: float, a: float, b: float, T: Array, seed: int = 0, days_per_unit: float | None = None
) -> tuple[Array, Array, Array]:
    """(x, t_x, T) for n customers of a BG/NBD population observed for T units after their first purchase."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, float), (n,)).copy()
    T = _floor_days(T, days_per_unit)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    purchases = rng.poisson(lam * T)  # if never dropping out
    lives = rng.geometric(p)  # drops out right after this repeat purchase
    x = np.minimum(purchases, lives)
    # the x-th of `purchases` uniform arrival times on (0, T]: a Beta(x, N - x + 1) fraction of T
    t_x = np.zeros(n)
    has = x > 0
    t_x[has] = T[has] * rng.beta(x[has], purchases[has] - x[has] + 1)
    return x.astype(float), np.minimum(_floor_days(t_x, days_per_unit), T), T


def simulate_pnbd(
    n: int, r: float, alpha: float, s: float, beta: float, T: Array, seed: int = 0,
    days_per_unit: float | None = None,
) -> tuple[Array, Array, Array]:
    """(x, t_x, T) for n customers of a Pareto/NBD population observed for T units after their first purchase."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, float), (n,)).copy()
    T = _floor_days(T, days_per_unit)
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    life = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * life)
    t_x = np.zeros(n)
    has = x > 0
    t_x[has] = life[has] * rng.beta(x[has], 1.0)  # the last of x uniform times on (0, life]
    return x.astype(float), np.minimum(_floor_days(t_x, days_per_unit), T), T
