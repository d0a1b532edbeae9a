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
    """Σ (β)_n/(γ)_n z^n for 0 < β < γ, z ≤ 0.9: positive terms with ratio < z, stopped on a tail bound.

    Works on compacted arrays of the still-unconverged elements (checked every few terms), so rows with small
    z, the usual case, cost a handful of multiply-adds.
    """
    total = np.ones(beta.shape)
    idx = np.flatnonzero(z > 0)
    b, g, zz = beta[idx], gamma[idx], z[idx]
    tail = zz / (1.0 - zz)
    term = np.ones(idx.size)
    acc = np.ones(idx.size)
    n = 0
    while idx.size and n < 2000:  # 0.9^2000 ≈ 1e-92: the guard never binds for z ≤ 0.9
        for _ in range(4):
            term *= (b + n) / (g + n) * zz
            acc += term
            n += 1
        done = term * tail <= _TOL * acc
        if done.any():
            total[idx[done]] = acc[done]
            keep = ~done
            idx, b, g, zz, tail, term, acc = idx[keep], b[keep], g[keep], zz[keep], tail[keep], term[keep], acc[keep]
    total[idx] = acc
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
