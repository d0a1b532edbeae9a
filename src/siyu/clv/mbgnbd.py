"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD where a customer may also drop out right after
the first purchase.

Same assumptions as BG/NBD, plus the drop-out coin is tossed at time 0. Use it when many one-time buyers
should be counted as gone (BG/NBD keeps every zero-repeat customer alive forever, P(alive) = 1).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from siyu.clv.base import TransactionModel
from siyu.clv.data import Array, FitData


class MBGNBD(TransactionModel):
    name = "mbgnbd"
    label = "MBG/NBD"
    param_names = ("r", "alpha", "a", "b")

    def _start(self, d: FitData) -> Array:
        return np.array([1.0, max(float(np.average(d.T, weights=d.weight)), 1e-3), 1.0, 1.0])

    def _parts(self, theta: Array, d: FitData) -> tuple[Array, Array, Array, Array, Array]:
        r, alpha, a, b = theta
        ux = d.ux
        gl = special.gammaln
        common_x = (gl(r + ux) - gl(r) + r * np.log(alpha) + gl(a + b) - gl(b) - gl(a + b + ux + 1.0)
                    + gl(b + ux))
        log_aT = np.log(alpha + d.uT)
        log_at = np.log(alpha + d.ut)
        rx = (r + ux)[d.x_idx]
        alive = np.log(b + d.x) - rx * log_aT[d.T_idx]
        dead = np.log(a) - rx * log_at[d.t_idx]
        return common_x[d.x_idx], alive, dead, log_aT, log_at

    def _terms(self, theta: Array, d: FitData) -> tuple[Array, Array, Array]:
        common, alive, dead, _, _ = self._parts(theta, d)
        return common, alive, dead

    def _loglik(self, theta: Array, d: FitData) -> tuple[float, Array | None]:
        r, alpha, a, b = theta
        common, alive, dead, log_aT, log_at = self._parts(theta, d)
        total = np.logaddexp(alive, dead)
        value = float(np.dot(d.weight, common + total))
        if not np.isfinite(value):
            return value, None
        w = np.exp(dead - total)
        x, wt, ux = d.x, d.weight, d.ux
        dg = special.digamma
        rx = r + x
        aT = (alpha + d.uT)[d.T_idx]
        at = (alpha + d.ut)[d.t_idx]
        g_r = (dg(r + ux) - dg(r))[d.x_idx] + np.log(alpha) - (1 - w) * log_aT[d.T_idx] - w * log_at[d.t_idx]
        g_alpha = r / alpha - rx * ((1 - w) / aT + w / at)
        g_a = (dg(a + b) - dg(a + b + ux + 1.0))[d.x_idx] + w / a
        g_b = (dg(a + b) - dg(b) - dg(a + b + ux + 1.0) + dg(b + ux))[d.x_idx] + (1 - w) / (b + x)
        grad = np.array([wt @ g_r, wt @ g_alpha, wt @ g_a, wt @ g_b])
        return value, grad

    def _expected_alive(self, theta: Array, d: FitData, t: float) -> Array:
        r, alpha, a, b = theta
        x, T = d.x, d.T
        z = t / (alpha + T + t)
        # Euler's transformation keeps the hypergeometric parameters small (see BG/NBD)
        h = special.hyp2f1(a + b - r, a - 1.0, a + b + x, z)
        return (a + b + x) / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * h)

    def expected(self, t: Array) -> Array:
        r, alpha, a, b = self.theta()
        t = np.asarray(t, float)
        z = t / (alpha + t)
        h = special.hyp2f1(a + b - r, a - 1.0, a + b, z)
        return b / (a - 1.0) * (1.0 - (1.0 - z) ** (a - 1.0) * h)
