"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999).

Assumes: a customer's order values vary around their own mean spend ν with Gamma(p, ν) noise, ν varies across
customers as Gamma(q, γ), and spend is independent of how often they buy. That last assumption is checked
(`frequency_spend_correlation`): a strong correlation means the CLV product E[orders] × E[spend] is biased.
Fitted on customers with at least one repeat purchase, using the mean value of their repeat orders.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from siyu.clv.base import NotFittedError
from siyu.clv.data import Array, DegenerateDataError
from siyu.clv.likelihood import FitResult, maximise
from siyu.errors import UserError


class GammaGamma:
    name = "gamma_gamma"
    label = "Gamma-Gamma"
    param_names = ("p", "q", "gamma")

    def __init__(self, params: dict[str, float] | None = None) -> None:
        self.params = dict(params) if params else None
        self.result: FitResult | None = None

    @staticmethod
    def _prepare(x: Array, m: Array) -> dict[str, Array]:
        """What does not change during the fit: distinct x (gamma functions are tabulated over them), logs."""
        ux, count = np.unique(x, return_counts=True)
        log_m = np.log(m)
        return {"x": x, "m": m, "ux": ux, "count": count.astype(float),
                "sum_x_log_mx": np.array([np.sum(x * (log_m + np.log(x)))]), "sum_log_m": np.array([log_m.sum()])}

    def _loglik(self, theta: Array, c: dict[str, Array]) -> tuple[float, Array | None]:
        p, q, g = theta
        gl, dg = special.gammaln, special.digamma
        x, m, ux, cnt = c["x"], c["m"], c["ux"], c["count"]
        n = float(x.size)
        gxm = g + x * m
        log_gxm = np.log(gxm)
        pux = p * ux
        # per distinct x: lnΓ(px+q) − lnΓ(px), weighted by how many customers have that x
        value = float(
            cnt @ (gl(pux + q) - gl(pux)) - n * gl(q) + n * q * np.log(g)
            + p * c["sum_x_log_mx"][0] - c["sum_log_m"][0] - (p * x + q) @ log_gxm
        )
        if not np.isfinite(value):
            return value, None
        d_pq = dg(pux + q)
        g_p = cnt @ (ux * (d_pq - dg(pux))) + c["sum_x_log_mx"][0] - x @ log_gxm
        g_q = cnt @ d_pq - n * dg(q) + n * np.log(g) - log_gxm.sum()
        g_g = n * q / g - ((p * x + q) / gxm).sum()
        return value, np.array([g_p, g_q, g_g])

    @staticmethod
    def _repeaters(x: Array, m: Array) -> tuple[Array, Array, int]:
        """Customers the spend model can use, and how many repeaters were left out for a zero mean value."""
        x = np.asarray(x, float)
        m = np.asarray(m, float)
        if (m[np.isfinite(m)] < 0).any():
            raise UserError("Gamma-Gamma needs non-negative average order values")
        repeat = (x > 0) & np.isfinite(m)
        keep = repeat & (m > 0)  # free repeat orders (value 0) carry no information about spend
        return x[keep], m[keep], int((repeat & ~keep).sum())

    def fit(self, x: Array, mean_value: Array) -> FitResult:
        """Fit on per-customer repeat counts and mean repeat order value (customers with x = 0 are skipped)."""
        xr, mr, zero = self._repeaters(x, mean_value)
        if xr.size < 10:
            raise DegenerateDataError(
                f"only {xr.size} customers with a repeat purchase and a positive amount: too few to fit spend"
            )
        start = np.array([1.0, 1.0, float(np.mean(mr))])
        cache = self._prepare(xr, mr)
        res = maximise(self.name, self.param_names, lambda th: self._loglik(th, cache), start,
                       int(xr.size), int(xr.size), True)
        res.extra["frequency_spend_correlation"] = frequency_spend_correlation(xr, mr)
        res.extra["left_out_zero_value"] = float(zero)
        self.params, self.result = res.params, res
        return res

    def theta(self) -> Array:
        if self.params is None:
            raise NotFittedError("Gamma-Gamma has no parameters: fit it first")
        return np.array([self.params[n] for n in self.param_names])

    def population_mean(self) -> float:
        """Expected order value of a customer we know nothing about (needs q > 1)."""
        p, q, g = self.theta()
        return float(p * g / (q - 1.0)) if q > 1 else float("nan")

    def expected_value(self, x: Array, mean_value: Array) -> Array:
        """E[order value | x repeat orders with this mean]: shrinks each mean towards the population mean."""
        p, q, g = self.theta()
        x = np.asarray(x, float)
        m = np.nan_to_num(np.asarray(mean_value, float), nan=0.0)
        m = np.where(x > 0, m, 0.0)
        return (g + x * m) * p / (p * x + q - 1.0)


def frequency_spend_correlation(x: Array, mean_value: Array) -> float:
    """Pearson correlation of repeat count and mean spend among repeaters (near 0 is what the model assumes)."""
    if x.size < 3 or np.std(x) == 0 or np.std(mean_value) == 0:
        return float("nan")
    return float(np.corrcoef(x, mean_value)[0, 1])
