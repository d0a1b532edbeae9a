"""Lifetime value: buy-till-you-die models (BG/NBD, Pareto/NBD, MBG/NBD, Gamma-Gamma), summary, fit, score,
evaluate. Summaries are SQL on the engine; fitting and scoring run on the compact summary with numpy/scipy."""

from siyu.clv.bgnbd import BGNBD
from siyu.clv.data import DegenerateDataError
from siyu.clv.gammagamma import GammaGamma
from siyu.clv.likelihood import FitResult
from siyu.clv.mbgnbd import MBGNBD
from siyu.clv.pnbd import ParetoNBD
from siyu.clv.selection import MODELS
from siyu.clv.step import run_clv
from siyu.clv.summary import Period, Summary, summarise

__all__ = [
    "BGNBD", "MBGNBD", "MODELS", "DegenerateDataError", "FitResult", "GammaGamma", "ParetoNBD", "Period",
    "Summary", "run_clv", "summarise",
]
