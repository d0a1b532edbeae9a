"""What every buy-till-you-die model offers: fit on a summary, then P(alive) and expected purchases.

A model's likelihood for one customer splits into a part common to both stories and two alternatives: the
customer is still alive at T, or dropped out after the last purchase. The log-likelihood is
`common + logaddexp(alive, dead)` and P(alive) is simply `exp(alive - logaddexp(alive, dead))`, so fitting and
scoring share one computation. Everything is evaluated on distinct (x, t_x, T) rows (see `data.py`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np

from siyu.clv.data import Array, FitData, check_fittable, compress
from siyu.clv.likelihood import FitResult, maximise


class NotFittedError(ValueError):
    """Predictions were asked of a model that has no parameters yet."""


class TransactionModel(ABC):
    """A model of how many repeat purchases a customer makes and when they stop for good."""

    name: ClassVar[str]
    label: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    analytic_gradient: ClassVar[bool] = True

    def __init__(self, params: dict[str, float] | None = None) -> None:
        self.params = dict(params) if params else None
        self.result: FitResult | None = None

    # --- what each model provides ---------------------------------------------------------------
    @abstractmethod
    def _terms(self, theta: Array, d: FitData) -> tuple[Array, Array, Array]:
        """(common, alive, dead) log-likelihood parts per distinct row."""

    @abstractmethod
    def _loglik(self, theta: Array, d: FitData) -> tuple[float, Array | None]:
        """Weighted log-likelihood over the rows and its gradient in natural parameters (None if numeric)."""

    @abstractmethod
    def _start(self, d: FitData) -> Array:
        """A starting point on the right scale for the data."""

    @abstractmethod
    def _expected_alive(self, theta: Array, d: FitData, t: float) -> Array:
        """Expected purchases in the next t time units for a customer known to be alive, per row."""

    @abstractmethod
    def expected(self, t: Array) -> Array:
        """Unconditional expected repeat purchases in (0, t] for a customer who first bought at 0."""

    # --- shared behaviour --------------------------------------------------------------------------
    def theta(self) -> Array:
        if self.params is None:
            raise NotFittedError(f"{self.label} has no parameters: fit it first")
        return np.array([self.params[n] for n in self.param_names], dtype=np.float64)

    def fit(self, x: Array, t_x: Array, T: Array) -> FitResult:
        """Maximum likelihood on a summary (arrays per customer)."""
        return self.fit_data(compress(x, t_x, T))

    def fit_data(self, d: FitData) -> FitResult:
        check_fittable(d)
        res = maximise(
            self.name, self.param_names, lambda th: self._loglik(th, d), self._start(d),
            d.n_customers, d.x.size, self.analytic_gradient,
        )
        self.params = res.params
        self.result = res
        return res

    def log_likelihood(self, x: Array, t_x: Array, T: Array) -> float:
        return float(self._loglik(self.theta(), compress(x, t_x, T))[0])

    def p_alive_rows(self, d: FitData) -> Array:
        _, alive, dead = self._terms(self.theta(), d)
        return np.exp(alive - np.logaddexp(alive, dead))

    def expected_alive_rows(self, d: FitData, t: float) -> Array:
        """Expected purchases in the next t units per row, *if* the customer is alive (scoring reuses P(alive))."""
        return self._expected_alive(self.theta(), d, t)

    def expected_rows(self, d: FitData, t: float) -> Array:
        """Expected repeat purchases in the next t units given each row's history."""
        return self.expected_alive_rows(d, t) * self.p_alive_rows(d)

    def p_alive(self, x: Array, t_x: Array, T: Array) -> Array:
        d = compress(x, t_x, T)
        return self.p_alive_rows(d)[d.inverse]

    def conditional_expected(self, t: float, x: Array, t_x: Array, T: Array) -> Array:
        d = compress(x, t_x, T)
        return self.expected_rows(d, t)[d.inverse]


def power_integral(k: Array, ratio: Array) -> Array:
    """(1 - ratio^k) / k, with its limit -log(ratio) at k = 0 (ratio in (0, 1])."""
    k = np.asarray(k, float)
    lr = np.log(ratio)
    small = np.abs(k) < 1e-8
    safe_k = np.where(small, 1.0, k)
    return np.where(small, -lr, -np.expm1(k * lr) / safe_k)
