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


def log_series_with_grad(beta: Array, gamma: Array, z: Array) -> tuple[Array, Array, Array, Array]:
    """ln S and its partial derivatives in β, γ and z, for S = 2F1(1, β; γ; z) = Σ (β)_n/(γ)_n z^n.

    The derivatives ride along the same series (Σ c_n·Σ_{k<n} 1/(β+k), Σ c_n·Σ_{k<n} 1/(γ+k), Σ n·c_n), which
    is what makes an analytic Pareto/NBD gradient cheap. Elements with z above 0.99 (rare: very different α
    and β) use scipy's value and central differences instead of thousands of terms.
    """
    beta, gamma, z = np.broadcast_arrays(np.asarray(beta, float), np.asarray(gamma, float), np.asarray(z, float))
    ln_s, d_beta, d_gamma, d_z = (np.zeros(beta.shape) for _ in range(4))
    near = z > _GRAD_SERIES_Z_MAX
    if near.any():
        ln_s[near], d_beta[near], d_gamma[near], d_z[near] = _scipy_with_grad(beta[near], gamma[near], z[near])
    idx = np.flatnonzero(~near & (z > 0))
    d_beta[~near & (z <= 0)] = 0.0
    d_gamma[~near & (z <= 0)] = 0.0
    zero = ~near & (z <= 0)
    d_z[zero] = beta[zero] / gamma[zero]  # dS/dz at z = 0 is the first coefficient
    if idx.size:
        b, g, zz = beta[idx], gamma[idx], z[idx]
        tail = zz / (1.0 - zz)
        term, acc = np.ones(idx.size), np.ones(idx.size)
        h_b, h_g = np.zeros(idx.size), np.zeros(idx.size)  # running Σ_{k<n} 1/(β+k), Σ_{k<n} 1/(γ+k)
        acc_b, acc_g, acc_n = np.zeros(idx.size), np.zeros(idx.size), np.zeros(idx.size)
        n = 0
        while idx.size and n < 20_000:  # 0.99^20000 ≈ 1e-87: the guard never binds for z ≤ 0.99
            for _ in range(4):
                term *= (b + n) / (g + n) * zz
                h_b += 1.0 / (b + n)
                h_g += 1.0 / (g + n)
                n += 1
                acc += term
                acc_b += term * h_b
                acc_g += term * h_g
                acc_n += n * term
            done = (n + 1) * term * tail * (1.0 + h_b + h_g) <= _TOL * acc
            if done.any() or n >= 20_000:
                if n >= 20_000:
                    done[:] = True
                k = idx[done]
                ln_s[k] = np.log(acc[done])
                d_beta[k] = acc_b[done] / acc[done]
                d_gamma[k] = -acc_g[done] / acc[done]
                d_z[k] = acc_n[done] / (zz[done] * acc[done])
                keep = ~done
                idx, b, g, zz, tail = idx[keep], b[keep], g[keep], zz[keep], tail[keep]
                term, acc, h_b, h_g = term[keep], acc[keep], h_b[keep], h_g[keep]
                acc_b, acc_g, acc_n = acc_b[keep], acc_g[keep], acc_n[keep]
    return ln_s, d_beta, d_gamma, d_z


_GRAD_SERIES_Z_MAX = 0.99


def _scipy_with_grad(beta: Array, gamma: Array, z: Array) -> tuple[Array, Array, Array, Array]:
    def f(b: Array, g: Array, zz: Array) -> Array:
        return np.asarray(np.log(special.hyp2f1(1.0, b, g, zz)), dtype=np.float64)

    value = f(beta, gamma, z)
    hb, hg = 1e-6 * np.maximum(beta, 1.0), 1e-6 * np.maximum(gamma, 1.0)
    hz = 1e-7 * (1.0 - z)
    d_beta = (f(beta + hb, gamma, z) - f(beta - hb, gamma, z)) / (2 * hb)
    d_gamma = (f(beta, gamma + hg, z) - f(beta, gamma - hg, z)) / (2 * hg)
    d_z = (f(beta, gamma, z + hz) - f(beta, gamma, z - hz)) / (2 * hz)
    return value, d_beta, d_gamma, d_z
