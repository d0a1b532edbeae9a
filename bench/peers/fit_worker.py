"""Fit one model on one data file and print a JSON line: seconds, peak memory growth, parameters.

Every library gets its imports and one warm-up fit on 200 customers before the clock starts.
Runs under siyu's Python or a peer's virtualenv (lifetimes 0.11.3, PyMC-Marketing), so every library is
measured the same way, in a fresh process: wall time of the fit call, and peak RSS growth during it.
Usage: python fit_worker.py LIB MODEL DATA.npz   (LIB: siyu | lifetimes | pymc; MODEL: bgnbd | pnbd | mbgnbd | gg)
"""

import contextlib
import json
import sys
import time

import numpy as np


def _rss_mb() -> float:
    return _status_mb("VmRSS:")


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the peak RSS (VmHWM), so the peak is the fit's own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    return _status_mb("VmHWM:")


def prepare(lib):
    """Imports happen before the clock starts: we time fitting, not loading a library."""
    if lib == "siyu":
        import siyu.clv  # noqa: F401
    elif lib == "lifetimes":
        import lifetimes  # noqa: F401
    else:
        import pandas  # noqa: F401
        import pymc_marketing.clv  # noqa: F401


def fit_siyu(model, x, t_x, T, m):
    from siyu.clv import BGNBD, MBGNBD, GammaGamma, ParetoNBD

    if model == "gg":
        return GammaGamma().fit(x, m).params
    cls = {"bgnbd": BGNBD, "pnbd": ParetoNBD, "mbgnbd": MBGNBD}[model]
    res = cls().fit(x, t_x, T)
    if not res.converged:
        raise RuntimeError(res.message)
    return res.params


def fit_lifetimes(model, x, t_x, T, m):
    import lifetimes

    if model == "gg":
        keep = x > 0
        f = lifetimes.GammaGammaFitter().fit(x[keep], m[keep])
    else:
        cls = {"bgnbd": lifetimes.BetaGeoFitter, "pnbd": lifetimes.ParetoNBDFitter,
               "mbgnbd": lifetimes.ModifiedBetaGeoFitter}[model]
        f = cls().fit(x, t_x, T)
    return {k: float(v) for k, v in f.params_.items()}


def fit_pymc(model, x, t_x, T, m):
    import pandas as pd
    from pymc_marketing import clv

    df = pd.DataFrame({"customer_id": np.arange(x.size), "frequency": x, "recency": t_x, "T": T})
    if model == "gg":
        keep = x > 0
        df = pd.DataFrame({"customer_id": np.arange(int(keep.sum())), "frequency": x[keep],
                           "monetary_value": m[keep]})
        mod = clv.GammaGammaModel(data=df)
    else:
        cls = {"bgnbd": clv.BetaGeoModel, "pnbd": clv.ParetoNBDModel, "mbgnbd": clv.ModifiedBetaGeoModel}[model]
        mod = cls(data=df)
    try:
        mod.fit(method="map", progressbar=False)
    except TypeError:
        mod.fit(fit_method="map", progressbar=False)
    post = mod.idata.posterior
    return {k: float(post[k].values.mean()) for k in post.data_vars if post[k].values.size == 1}


def main() -> None:
    lib, model, path = sys.argv[1:4]
    data = np.load(path)
    x, t_x, T, m = data["x"], data["t_x"], data["T"], data["m"]
    fit = {"siyu": fit_siyu, "lifetimes": fit_lifetimes, "pymc": fit_pymc}[lib]
    prepare(lib)
    warm = slice(0, min(200, x.size))  # one warm-up fit: first-call set-up is not fitting time, for any library
    with contextlib.suppress(Exception):
        fit(model, x[warm], t_x[warm], T[warm], m[warm])
    _reset_peak()
    before = _rss_mb()
    began = time.perf_counter()
    try:
        params = fit(model, x, t_x, T, m)
        error = None
    except Exception as exc:  # a peer failing is a result to print, not a crash of the bench
        params, error = {}, f"{type(exc).__name__}: {str(exc)[:200]}"
    seconds = time.perf_counter() - began
    print(json.dumps({"lib": lib, "model": model, "n": int(x.size), "seconds": seconds,
                      "peak_mb": max(_peak_mb() - before, 0.0), "params": params, "error": error}))


if __name__ == "__main__":
    main()
