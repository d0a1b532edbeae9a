"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; likelihood as in Fader & Hardie's 2005 note).

Assumes: while alive a customer buys as a Poisson process with rate λ ~ Gamma(r, α) and has an exponential
lifetime with rate μ ~ Gamma(s, β), independent of λ. Drop-out can happen at any moment, not only after a
purchase, which usually fits holdout behaviour best; its likelihood needs hypergeometric terms, evaluated here
in log space (see `special.py`) so frequent buyers and millions of customers neither overflow nor underflow.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from siyu.clv.base import TransactionModel, power_integral
from siyu.clv.data import Array, FitData
from siyu.clv.special import log1mexp, log_hyp2f1_a_a1, log_series_with_grad


class ParetoNBD(TransactionModel):
    name = "pnbd"
    label = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")

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

    def _log_tail_grad(self, theta: Array, x: Array, y: Array) -> tuple[Array, Array]:
        """`_log_tail` and its gradient in (r, α, s, β), rows of a 4 × n array (chain rule through the series)."""
        r, alpha, s, beta = theta
        a = r + s + x
        first = alpha >= beta  # which of the two hypergeometric forms (Fader & Hardie) applies
        m = alpha if first else beta
        b = np.full_like(x, s + 1.0) if first else r + x
        sb = a + 1.0 - b
        my = m + y
        z = abs(alpha - beta) / my
        ln_s, d_sb, d_g, d_z = log_series_with_grad(sb, a + 1.0, z)
        log1mz = np.log1p(-z)
        value = -a * np.log(my) - np.log(a) + (1.0 - b) * log1mz + ln_s
        common = -np.log(my) - 1.0 / a + d_g  # ∂ through a = r+s+x and γ = a+1
        dz_total = -(1.0 - b) / (1.0 - z) + d_z  # ∂value/∂z
        grad = np.empty((4, x.size))
        if first:  # β' = r+x, b = s+1, z = (α-β)/(α+y)
            grad[0] = common + d_sb
            grad[2] = common - log1mz
            grad[1] = -a / my + dz_total * (beta + y) / my**2
            grad[3] = -dz_total / my
        else:  # β' = s+1, b = r+x, z = (β-α)/(β+y)
            grad[0] = common - log1mz
            grad[2] = common + d_sb
            grad[3] = -a / my + dz_total * (alpha + y) / my**2
            grad[1] = -dz_total / my
        return value, grad

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
        r, alpha, s, beta = theta
        gl, dg = special.gammaln, special.digamma
        ux = d.ux
        common = (gl(r + ux) - gl(r))[d.x_idx] + r * np.log(alpha) + s * np.log(beta)
        rx = (r + ux)[d.x_idx]
        log_aT, log_bT = np.log(alpha + d.uT), np.log(beta + d.uT)
        alive = -rx * log_aT[d.T_idx] - s * log_bT[d.T_idx]
        v_t, g_t = self._log_tail_grad(theta, d.xt_x, d.xt_t)
        v_T, g_T = self._log_tail_grad(theta, d.xT_x, d.xT_T)
        tail_t, tail_T = v_t[d.xt_idx], v_T[d.xT_idx]
        gap = np.minimum(tail_T - tail_t, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):  # extreme trial points are caught just below
            dead = np.log(s) + tail_t + log1mexp(gap)
            total = np.logaddexp(alive, dead)
        value = float(np.dot(d.weight, common + total))
        if not np.isfinite(value):
            return value, None
        w = np.exp(dead - total)  # weight of "died between t_x and T"
        e = np.exp(gap)  # F(T) / F(t_x)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(w > 0, w / (1.0 - e), 0.0)
        wt = d.weight
        g_common = np.array([
            wt @ (dg(r + ux) - dg(r))[d.x_idx] + wt.sum() * np.log(alpha),
            wt.sum() * r / alpha, wt.sum() * np.log(beta), wt.sum() * s / beta,
        ])
        aT, bT = (alpha + d.uT)[d.T_idx], (beta + d.uT)[d.T_idx]
        alive_w = wt * (1.0 - w)
        g_alive = np.array([
            alive_w @ -log_aT[d.T_idx], alive_w @ (-rx / aT), alive_w @ -log_bT[d.T_idx], alive_w @ (-s / bT),
        ])
        sw = wt * share
        g_dead = g_t[:, d.xt_idx] @ sw - g_T[:, d.xT_idx] @ (sw * e)
        g_dead[2] += (wt * w).sum() / s
        return value, g_common + g_alive + g_dead

    def _expected_alive(self, theta: Array, d: FitData, t: float) -> Array:
        r, alpha, s, beta = theta
        bT = beta + d.T
        return (r + d.x) * bT / (alpha + d.T) * power_integral(np.asarray(s - 1.0), bT / (bT + t))

    def expected(self, t: Array) -> Array:
        r, alpha, s, beta = self.theta()
        t = np.asarray(t, float)
        return r * beta / alpha * power_integral(np.asarray(s - 1.0), beta / (beta + t))
