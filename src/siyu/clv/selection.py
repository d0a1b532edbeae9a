"""The transaction models by name, and choosing between them."""

from __future__ import annotations

from siyu.clv.base import TransactionModel
from siyu.clv.bgnbd import BGNBD
from siyu.clv.data import FitData
from siyu.clv.evaluate import Evaluation, best, evaluate
from siyu.clv.likelihood import FitResult
from siyu.clv.mbgnbd import MBGNBD
from siyu.clv.pnbd import ParetoNBD
from siyu.clv.summary import Summary
from siyu.errors import NoResult, UserError

MODELS: dict[str, type[TransactionModel]] = {"bgnbd": BGNBD, "pnbd": ParetoNBD, "mbgnbd": MBGNBD}
CHOICES = (*MODELS, "auto")


def model_names(choice: str) -> list[str]:
    """The models a --model / [clv] model value stands for."""
    if choice == "auto":
        return list(MODELS)
    if choice not in MODELS:
        raise UserError(f"unknown model {choice!r}: use one of {', '.join(CHOICES)}")
    return [choice]


def fit_models(names: list[str], d: FitData) -> list[TransactionModel]:
    """Fit each named model on the same data."""
    fitted = []
    for name in names:
        model = MODELS[name]()
        model.fit_data(d)
        fitted.append(model)
    return fitted


class NoModel(NoResult, ValueError):
    """No model could be fitted: the CLV step records it as unavailable and the run goes on without scores."""


def converged_or_raise(models: list[TransactionModel]) -> list[TransactionModel]:
    """Only models whose fit converged; if none did, an error carrying each model's reason."""
    good = [m for m in models if m.result is not None and m.result.converged]
    if not good:
        reasons = "; ".join(f"{m.label}: {m.result.message if m.result else 'not fitted'}" for m in models)
        raise NoModel(f"no model could be fitted reliably ({reasons})")
    return good


def pick(models: list[TransactionModel], summary: Summary | None = None) -> tuple[TransactionModel, list[Evaluation]]:
    """With a holdout: the lowest holdout MAE. Without: the highest log-likelihood (all have 4 parameters)."""
    good = converged_or_raise(models)
    if summary is not None and summary.period.holdout_end is not None:
        evaluations = [evaluate(m, summary) for m in good]
        winner = best(evaluations)
        return next(m for m in good if m.name == winner.model), evaluations
    return max(good, key=lambda m: _loglik(m.result)), []


def _loglik(result: FitResult | None) -> float:
    return result.log_likelihood if result else float("-inf")
