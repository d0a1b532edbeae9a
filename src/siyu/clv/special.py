"""Numerically stable special functions the models need.

The Pareto/NBD likelihood contains Gauss hypergeometric functions 2F1(a, b; a+1; z) with a = r+s+x that
overflow or lose all precision when evaluated naively for frequent buyers. We only ever need their logarithm,
and Euler's transformation turns them into a series of positive, geometrically shrinking terms:

    2F1(a, b; a+1; z) = (1-z)^(1-b) · 2F1(1, a+1-b; a+1; z),   with 2F1(1, β; γ; z) = Σ (β)_n/(γ)_n z^n

which lies between 1 and 1/(1-z) when 0 < β < γ: no overflow whatever a is.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

Array = NDArray[np.float64]

_SERIES_Z_MAX = 0.9  # above this the series needs too many terms; scipy's transformed evaluation takes over
_TOL = 1e-15


def log_hyp2f1_a_a1(a: Array, b: Array, z: Array) -> Array:
    """log 2F1(a, b; a+1; z) for a > 0, 0 < b < a+1, 0 ≤ z < 1 (elementwise, stable for large a)."""
    a, b, z = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float), np.asarray(z, float))
    beta = a + 1.0 - b
    gamma = a + 1.0
    log_sum = np.zeros(a.shape)
    near = z > _SERIES_Z_MAX
    if near.any():
        log_sum[near] = np.log(special.hyp2f1(1.0, beta[near], gamma[near], z[near]))
    far = ~near
    if far.any():
        log_sum[far] = np.log(_series_1_beta_gamma(beta[far], gamma[far], z[far]))
    return (1.0 - b) * np.log1p(-z) + log_sum


def _series_1_beta_gamma(beta: Array, gamma: Array, z: Array) -> Array:
    """Σ (β)_n/(γ)_n z^n for 0 < β < γ, z ≤ 0.9: positive terms with ratio < z, stopped on a tail bound."""
    total = np.ones(beta.shape)
    term = np.ones(beta.shape)
    active = np.flatnonzero(z > 0)
    tail = z / np.maximum(1.0 - z, 1e-300)
    n = 0
    while active.size:
        term_a = term[active] * (beta[active] + n) / (gamma[active] + n) * z[active]
        term[active] = term_a
        total[active] += term_a
        n += 1
        keep = term_a * tail[active] > _TOL * total[active]
        active = active[keep]
        if n > 2000:  # cannot happen for z ≤ 0.9 (0.9^2000 ≈ 1e-92); a guard against endless loops
            break
    return total


def log1mexp(v: Array) -> Array:
    """log(1 - exp(v)) for v ≤ 0, accurate near 0 and for very negative v; -inf at v = 0."""
    v = np.asarray(v, float)
    out = np.empty_like(v)
    small = v > -0.6931471805599453
    with np.errstate(divide="ignore"):
        out[small] = np.log(-np.expm1(v[small]))
    out[~small] = np.log1p(-np.exp(v[~small]))
    return out
