"""Private-domain membership as a time-invariant covariate, and whether it improves holdout forecasts.

DOMAIN.md's claim is that the private domain raises lifetime value; for forecasting what matters is whether
members and non-members buy and drop out differently enough that one population model mis-predicts both. The
covariate is binary and known at the calibration end (in the private domain then: a WeCom friend not removed or
a group member, siyu.domain.private), so the
most direct way to let it act on every parameter is a stratified fit: the same model fitted separately on
members and non-members (the full-interaction form of Fader & Hardie's time-invariant covariate models).
`compare` fits both ways on a calibration window and reports each one's per-person holdout MAE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from siyu.clv.data import Array, compress
from siyu.clv.selection import converged_or_raise, fit_models
from siyu.clv.summary import Period, summary_sql
from siyu.domain.private import private_domain_sql
from siyu.engine import Engine
from siyu.errors import UserError


def members_sql(period: Period) -> str:
    """Persons in the private domain (siyu.domain.private) at the calibration end."""
    return f"""
SELECT DISTINCT pm.person_id
FROM ({private_domain_sql(period.calibration_end)}) AS i
JOIN person_map AS pm ON pm.channel = i.channel AND pm.channel_uid = i.channel_uid
"""


@dataclass
class CovariateGain:
    model: str
    members: int
    non_members: int
    mae_pooled: float
    mae_stratified: float
    mae_members: tuple[float, float]  # (pooled, stratified) among members
    totals_members: tuple[float, float, float]  # members' holdout purchases: (actual, pooled, stratified)
    params_members: dict[str, float]
    params_non_members: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        return {**self.__dict__, "gain": self.gain}

    @property
    def gain(self) -> float:
        """Relative MAE reduction of the stratified fit (positive = the covariate helps)."""
        return 1.0 - self.mae_stratified / self.mae_pooled


def _col(table: pa.Table, name: str) -> Array:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)


def compare(engine: Engine, source_sql: str, period: Period, names: list[str]) -> list[CovariateGain]:
    """Pooled vs stratified-by-membership fits of each model, judged on the holdout (grouped on the engine)."""
    if period.holdout_end is None:
        raise UserError("the covariate comparison needs a holdout period")
    if not (engine.table_exists("contacts") and engine.table_exists("person_map")):
        raise UserError("private-domain membership needs the contacts and person_map tables")
    rows = engine.query(f"""
SELECT s.x, s.t_x, s.T, s.x_holdout, m.person_id IS NOT NULL AS member, count(*) AS n
FROM ({summary_sql(source_sql, period)}) AS s LEFT JOIN ({members_sql(period)}) AS m ON m.person_id = s.customer_id
GROUP BY s.x, s.t_x, s.T, s.x_holdout, m.person_id IS NOT NULL
""")
    x, t_x, T, hold, n = (_col(rows, c) for c in ("x", "t_x", "T", "x_holdout", "n"))
    member = np.asarray(rows.column("member").to_numpy(zero_copy_only=False), dtype=bool)
    length = period.holdout_length
    pooled_d = compress(x, t_x, T, counts=n)
    pooled = {m.name: m for m in converged_or_raise(fit_models(names, pooled_d))}
    groups = {}
    for flag in (True, False):
        d = compress(x[member == flag], t_x[member == flag], T[member == flag], counts=n[member == flag])
        who = "private-domain members" if flag else "persons outside the private domain"
        try:
            groups[flag] = (d, {m.name: m for m in converged_or_raise(fit_models(names, d))})
        except ValueError as exc:
            raise UserError(f"{who} ({d.n_customers:,}) on their own: {exc}") from exc
    out = []
    for name, model in pooled.items():
        if not all(name in g[1] for g in groups.values()):
            continue
        pred_pooled = model.expected_rows(pooled_d, length)[pooled_d.inverse]
        pred_strat = np.empty_like(pred_pooled)
        for flag, (d, fitted) in groups.items():
            pred_strat[member == flag] = fitted[name].expected_rows(d, length)[d.inverse]

        def mae(pred: Array, mask: Array) -> float:
            return float(n[mask] @ np.abs(pred[mask] - hold[mask]) / n[mask].sum())

        everyone = np.ones(n.size, dtype=bool)
        out.append(CovariateGain(
            model=name, members=int(n[member].sum()), non_members=int(n[~member].sum()),
            mae_pooled=mae(pred_pooled, everyone), mae_stratified=mae(pred_strat, everyone),
            mae_members=(mae(pred_pooled, member), mae(pred_strat, member)),
            totals_members=(float(n[member] @ hold[member]), float(n[member] @ pred_pooled[member]),
                            float(n[member] @ pred_strat[member])),
            params_members=dict(groups[True][1][name].params or {}),
            params_non_members=dict(groups[False][1][name].params or {}),
        ))
    return out


def covariate_html(gains: list[CovariateGain]) -> str:
    """The comparison as a report section."""
    rows = "".join(
        f"<tr><td>{g.model}</td><td>{g.members:,} / {g.non_members:,}</td><td>{g.mae_pooled:.4f}</td>"
        f"<td>{g.mae_stratified:.4f}</td><td>{g.gain:+.2%}</td><td>{g.mae_members[0]:.4f} → {g.mae_members[1]:.4f}</td>"
        f"<td>{g.totals_members[0]:,.0f} / {g.totals_members[1]:,.0f} / {g.totals_members[2]:,.0f}</td></tr>"
        for g in gains
    )
    return (
        "<h2>Private-domain membership as a covariate</h2><p>Each model fitted once on everyone (pooled) and "
        "separately on persons who were WeCom friends at the calibration end and on the others (stratified); "
        "per-person holdout MAE. Members' totals: actual / pooled / stratified forecast.</p><table><thead><tr>"
        "<th>model</th><th>members / others</th><th>MAE pooled</th><th>MAE stratified</th><th>gain</th>"
        "<th>members' MAE</th><th>members' holdout purchases</th></tr></thead><tbody>" + rows + "</tbody></table>"
    )
