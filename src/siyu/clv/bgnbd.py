"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Assumes: while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each *repeat*
purchase they drop out with probability p ~ Beta(a, b); rates and drop-out are independent across customers.
Cheap and robust; it cannot drop a customer who never repeats (see MBG/NBD for that).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from siyu.clv.base import TransactionModel
from siyu.clv.data import Array, FitData


class BGNBD(TransactionModel):
    name = "bgnbd"
    label = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")

    def _start(self, d: FitData) -> Array:
        return np.array([1.0, max(float(np.average(d.T, weights=d.weight)), 1e-3), 1.0, 1.0])

    def _parts(self, theta: Array, d: FitData) -> tuple[Array, Array, Array, Array, Array]:
        r, alpha, a, b = theta
        x = d.ux  # tabulated over distinct x: gammaln is the costly part
        gl = special.gammaln
        common_x = gl(r + x) - gl(r) + r * np.log(alpha) + gl(a + b) + gl(b + x) - gl(b) - gl(a + b + x)
        log_aT = np.log(alpha + d.uT)
        log_at = np.log(alpha + d.ut)
        has = x > 0
        dead_x = np.where(has, np.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0), -np.inf)
        rx = (r + d.ux)[d.x_idx]
        alive = -rx * log_aT[d.T_idx]
        dead = dead_x[d.x_idx] - rx * log_at[d.t_idx]
        return common_x[d.x_idx], alive, dead, log_aT, log_at

    def _terms(self, theta: Array, d: FitData) -> tuple[Array, Array, Array]:
        common, alive, dead, _, _ = self._parts(theta, d)
        return common, alive, dead

    def _loglik(self, theta: Array, d: FitData) -> tuple[float, Array | None]:
        r, alpha, a, b = theta
        common, alive, dead, log_aT, log_at = self._parts(theta, d)
        with np.errstate(invalid="ignore"):
            total = np.logaddexp(alive, dead)
        value = float(np.dot(d.weight, common + total))
        if not np.isfinite(value):
            return value, None
        w = np.exp(dead - total)  # share of the "dropped out after the last purchase" story
        x, wt = d.x, d.weight
        dg = special.digamma
        ux = d.ux
        rx = r + x
        dr_x = dg(r + ux) - dg(r)
        db_x = dg(a + b) + dg(b + ux) - dg(b) - dg(a + b + ux)
        da_x = dg(a + b) - dg(a + b + ux)
        aT = (alpha + d.uT)[d.T_idx]
        at = (alpha + d.ut)[d.t_idx]
        g_r = dr_x[d.x_idx] + np.log(alpha) - (1 - w) * log_aT[d.T_idx] - w * log_at[d.t_idx]
        g_alpha = r / alpha - rx * ((1 - w) / aT + w / at)
        g_a = da_x[d.x_idx] + w / a
        g_b = db_x[d.x_idx] - w / (b + np.maximum(x, 1.0) - 1.0)
        grad = np.array([wt @ g_r, wt @ g_alpha, wt @ g_a, wt @ g_b])
        return value, grad

    def _expected_alive(self, theta: Array, d: FitData, t: float) -> Array:
        r, alpha, a, b = theta
        x, T = d.x, d.T
        z = t / (alpha + T + t)
        # (1-z)^(r+x)·2F1(r+x, b+x; a+b+x-1; z) after Euler's transformation: (1-z)^(a-1)·2F1(a+b-1-r, a-1; …),
        # whose parameters stay small, so frequent buyers cannot overflow it
        h = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b + x - 1.0, z)
        return (a + b + x - 1.0) / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * h)

    def expected(self, t: Array) -> Array:
        r, alpha, a, b = self.theta()
        t = np.asarray(t, float)
        z = t / (alpha + t)
        h = special.hyp2f1(a + b - 1.0 - r, a - 1.0, a + b - 1.0, z)
        return (a + b - 1.0) / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * h)
