"""The compact form the models fit on: distinct (x, t_x, T) rows with how many customers share each.

Customers whose dates are whole days share rows massively (1M customers fold into a few hundred thousand
rows or fewer), and every term that depends on x, t_x or T alone is tabulated once over the distinct values,
so one likelihood evaluation costs a few vector operations over the distinct rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


class DegenerateDataError(ValueError):
    """The data cannot identify the model (no customers, nobody repeats, everybody identical…)."""


@dataclass(frozen=True)
class FitData:
    """Distinct rows and lookup tables; `inverse` maps each input customer to its distinct row."""

    x: Array
    t_x: Array
    T: Array
    weight: Array
    inverse: IntArray
    ux: Array  # distinct x values; x_idx[i] indexes them
    x_idx: IntArray
    uT: Array
    T_idx: IntArray
    ut: Array
    t_idx: IntArray
    # distinct (x, t_x) and (x, T) pairs, for terms that need both (Pareto/NBD hypergeometric terms)
    xt_x: Array
    xt_t: Array
    xt_idx: IntArray
    xT_x: Array
    xT_T: Array
    xT_idx: IntArray

    @property
    def n_customers(self) -> int:
        return int(self.weight.sum())


def _dense_codes(ints: IntArray) -> tuple[IntArray, IntArray]:
    """Distinct non-negative integers and each one's index among them, in O(n) (no sort)."""
    present = np.bincount(ints) > 0
    values = np.flatnonzero(present)
    lookup = np.cumsum(present) - 1
    return values.astype(np.int64), lookup[ints].astype(np.int64)


def _codes(v: Array) -> tuple[Array, IntArray]:
    """Distinct values and indices. Summaries from order dates sit on a grid of days (in days or weeks), and
    there a counting pass replaces the sort: about 5× faster on a million customers."""
    if v.size and v.min() >= 0:
        for per_unit in (1.0, 7.0):
            scaled = v * per_unit
            ints = np.rint(scaled)
            if ints.max() < 50_000_000 and np.abs(scaled - ints).max() < 1e-6:
                values, idx = _dense_codes(ints.astype(np.int64))
                return values / per_unit, idx
    u, idx = np.unique(v, return_inverse=True)
    return u, idx.reshape(-1).astype(np.int64)


def compress(x: Array, t_x: Array, T: Array, counts: Array | None = None) -> FitData:
    """Fold customers into distinct (x, t_x, T) rows; checks the values a summary can produce.

    `counts` weighs each input row as that many customers (rows already grouped on the engine)."""
    x = np.asarray(x, dtype=np.float64)
    t_x = np.asarray(t_x, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    if not (x.shape == t_x.shape == T.shape) or x.ndim != 1:
        raise ValueError("x, t_x and T must be one-dimensional arrays of the same length")
    if x.size == 0:
        raise DegenerateDataError("no customers to fit: the summary is empty")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("x, t_x and T must be finite numbers (no missing values)")
    bad = (x < 0) | (x != np.floor(x)) | (t_x < 0) | (T < 0) | (t_x > T) | ((x == 0) & (t_x != 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} summary row(s) are impossible (need whole x ≥ 0, 0 ≤ t_x ≤ T, t_x = 0 "
            f"when x = 0); first is row {i}: x={x[i]}, t_x={t_x[i]}, T={T[i]}"
        )
    # integer codes per column, then one combined key: distinct rows without a slow 2-D unique
    ux, cx = _codes(x)
    ut, ct = _codes(t_x)
    uT, cT = _codes(T)
    key = (cx * ut.size + ct) * uT.size + cT
    if ux.size * ut.size * uT.size <= max(4 * x.size, 1_000_000):
        keys, inverse = _dense_codes(key)
    else:
        keys, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    weights = None if counts is None else np.asarray(counts, dtype=np.float64)
    if weights is not None and (weights.shape != x.shape or (weights <= 0).any()):
        raise ValueError("counts must be positive, one per summary row")
    weight = np.bincount(inverse, weights=weights, minlength=keys.size).astype(np.float64)
    x_idx = keys // (ut.size * uT.size)
    t_idx = (keys // uT.size) % ut.size
    T_idx = keys % uT.size
    xt_keys, xt_idx = np.unique(x_idx * ut.size + t_idx, return_inverse=True)
    xT_keys, xT_idx = np.unique(x_idx * uT.size + T_idx, return_inverse=True)
    return FitData(
        x=ux[x_idx], t_x=ut[t_idx], T=uT[T_idx], weight=weight,
        inverse=inverse.reshape(-1).astype(np.int64),
        ux=ux, x_idx=x_idx, uT=uT, T_idx=T_idx, ut=ut, t_idx=t_idx,
        xt_x=ux[xt_keys // ut.size], xt_t=ut[xt_keys % ut.size], xt_idx=xt_idx.reshape(-1).astype(np.int64),
        xT_x=ux[xT_keys // uT.size], xT_T=uT[xT_keys % uT.size], xT_idx=xT_idx.reshape(-1).astype(np.int64),
    )


def check_fittable(d: FitData) -> None:
    """Refuse data from which no repeat-purchase model can be learned, with the reason."""
    repeaters = float(d.weight[d.x > 0].sum())
    if repeaters == 0:
        raise DegenerateDataError(
            f"all {d.n_customers} customers have zero repeat purchases: a repeat-purchase model cannot be "
            "fitted (use a longer calibration period or check that customer ids are stable)"
        )
    if d.n_customers < 10:
        raise DegenerateDataError(f"only {d.n_customers} customers: too few to fit a model (need at least 10)")
