"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; likelihood as in Fader & Hardie's 2005 note).

Assumes: while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and has an exponential
lifetime with rate μ ~ Gamma(s, β), independent of λ. Drop-out can happen at any moment, not only after a
purchase, which usually fits holdout behaviour best; its likelihood needs hypergeometric terms, evaluated here
in log space (see `special.py`) so frequent buyers and millions of customers neither overflow nor underflow.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from siyu.clv.data import Array, FitData
from siyu.clv.model import TransactionModel, power_integral
from siyu.clv.special import log1mexp, log_hyp2f1_a_a1


class ParetoNBD(TransactionModel):
    name = "pnbd"
    label = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")
    analytic_gradient = False

    def _start(self, d: FitData) -> Array:
        mean_t = max(float(np.average(d.T, weights=d.weight)), 1e-3)
        return np.array([1.0, mean_t, 1.0, mean_t])

    def _log_tail(self, theta: Array, x: Array, y: Array) -> Array:
        """log ∫_y^∞ (α+τ)^-(r+x) (β+τ)^-(s+1) dτ, the probability mass of dying after time y (scaled)."""
        r, alpha, s, beta = theta
        m = max(alpha, beta)
        rsx = r + s + x
        b2 = np.full_like(x, s + 1.0) if alpha >= beta else r + x
        z = abs(alpha - beta) / (m + y)
        return -rsx * np.log(m + y) - np.log(rsx) + log_hyp2f1_a_a1(rsx, b2, z)

    def _terms(self, theta: Array, d: FitData) -> tuple[Array, Array, Array]:
        r, alpha, s, beta = theta
        gl = special.gammaln
        common = (gl(r + d.ux) - gl(r))[d.x_idx] + r * np.log(alpha) + s * np.log(beta)
        rx = (r + d.ux)[d.x_idx]
        alive = -rx * np.log(alpha + d.uT)[d.T_idx] - s * np.log(beta + d.uT)[d.T_idx]
        tail_t = self._log_tail(theta, d.xt_x, d.xt_t)[d.xt_idx]
        tail_T = self._log_tail(theta, d.xT_x, d.xT_T)[d.xT_idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            dead = np.log(s) + tail_t + log1mexp(np.minimum(tail_T - tail_t, 0.0))
        return common, alive, dead

    def _loglik(self, theta: Array, d: FitData) -> tuple[float, Array | None]:
        common, alive, dead = self._terms(theta, d)
        value = float(np.dot(d.weight, common + np.logaddexp(alive, dead)))
        return value, None

    def _expected_alive(self, theta: Array, d: FitData, t: float) -> Array:
        r, alpha, s, beta = theta
        bT = beta + d.T
        return (r + d.x) * bT / (alpha + d.T) * power_integral(np.asarray(s - 1.0), bT / (bT + t))

    def expected(self, t: Array) -> Array:
        r, alpha, s, beta = self.theta()
        t = np.asarray(t, float)
        return r * beta / alpha * power_integral(np.asarray(s - 1.0), beta / (beta + t))
