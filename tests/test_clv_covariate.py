"""Private-domain membership as a covariate: who counts as a member at the calibration end, and the pooled vs
stratified holdout comparison a user reads in `siyu clv report --covariate`."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from test_clv_summary import _orders, _shop

from siyu.clv.bgnbd import BGNBD
from siyu.clv.covariate import compare
from siyu.clv.step import orders_source_sql
from siyu.clv.summary import Period, summarise
from siyu.engine import Engine

T = dt.datetime


def test_members_are_in_the_private_domain_at_the_calibration_end(duck: Engine) -> None:
    n = 800
    shop = _shop(n, seed=4)
    duck.write_arrow("orders", _orders(shop), mode="replace")
    wecom = range(402)  # persons 0-401 also have a WeCom identity
    duck.write_arrow("person_map", pa.table({
        "channel": ["tmall"] * n + ["wecom"] * len(wecom),
        "channel_uid": [f"u{i}" for i in range(n)] + [f"w{i}" for i in wecom],
        "person_id": [f"P{i}" for i in range(n)] + [f"P{i}" for i in wecom],
    }), mode="replace")
    friends = [(f"w{i}", T(2024, 3, 1), None) for i in range(400)] + [
        ("w0", T(2024, 5, 1), None),  # a second friendship: still one member
        ("w400", T(2024, 3, 1), T(2024, 6, 1)),  # removed before the calibration end
        ("w401", T(2024, 11, 1), None),  # joined after it
        ("stranger", T(2024, 1, 1), None),  # no person
    ]
    duck.write_arrow("contacts", pa.table({
        "external_userid": [f[0] for f in friends], "added_at": pa.array([f[1] for f in friends], pa.timestamp("us")),
        "removed_at": pa.array([f[2] for f in friends], pa.timestamp("us")),
    }), mode="replace")
    events = [("w400", "g1", "join", T(2024, 7, 1)),  # no longer a friend, but in a group: a member
              ("w401", "g1", "join", T(2024, 4, 1)), ("w401", "g1", "leave", T(2024, 8, 1))]  # left: not one
    duck.write_arrow("group_events", pa.table({
        "member_id": [e[0] for e in events], "group_id": [e[1] for e in events], "event": [e[2] for e in events],
        "event_at": pa.array([e[3] for e in events], pa.timestamp("us")),
    }), mode="replace")
    # by the rules above (siyu.domain.private): persons 0-399 are friends, 400 is in a group; 401 left it
    members = set(range(401))
    period = Period(dt.date(2024, 9, 30), dt.date(2024, 12, 31))
    gains = compare(duck, orders_source_sql(duck), period, ["bgnbd"])
    assert [(g.model, g.members, g.non_members) for g in gains] == [("bgnbd", len(members), n - len(members))]
    g = gains[0]
    # members' holdout purchase days, counted from the rows: their paid days in Oct-Dec 2024
    held = {(r[1], r[3]) for r in shop if r[4] == "paid" and int(r[1][1:]) in members
            and period.calibration_end < r[3] <= period.holdout_end}
    assert g.totals_members[0] == len(held)
    # the comparison, redone by hand: BG/NBD fitted on everyone and on each group's per-person summary, each
    # forecasting the 13-week holdout; per-person mean absolute error against what each person bought
    s = summarise(duck, orders_source_sql(duck), period)
    member = np.array([int(c[1:]) in members for c in s.customer_id])  # person ids are P<i>
    assert s.size == n and int(member.sum()) == len(members)

    def forecast(mask: np.ndarray) -> tuple[dict[str, float], np.ndarray]:
        m = BGNBD()
        m.fit(s.x[mask], s.t_x[mask], s.T[mask])
        assert m.params is not None
        return m.params, m.conditional_expected(period.holdout_length, s.x[mask], s.t_x[mask], s.T[mask])

    _, pooled = forecast(np.ones(n, dtype=bool))
    params_in, strat_in = forecast(member)
    params_out, strat_out = forecast(~member)
    stratified = np.empty(n)
    stratified[member], stratified[~member] = strat_in, strat_out
    assert g.params_members == pytest.approx(params_in, rel=1e-6)
    assert g.params_non_members == pytest.approx(params_out, rel=1e-6)
    assert g.mae_pooled == pytest.approx(np.abs(pooled - s.x_holdout).mean(), rel=1e-6)
    assert g.mae_stratified == pytest.approx(np.abs(stratified - s.x_holdout).mean(), rel=1e-6)
    assert g.mae_members == pytest.approx((np.abs(pooled - s.x_holdout)[member].mean(),
                                           np.abs(strat_in - s.x_holdout[member]).mean()), rel=1e-6)
    assert g.totals_members[1:] == pytest.approx((pooled[member].sum(), strat_in.sum()), rel=1e-6)
    assert g.gain == 1 - g.mae_stratified / g.mae_pooled
