"""Private-domain membership as a covariate: who counts as a member at the calibration end, and the pooled vs
stratified holdout comparison a user reads in `siyu clv report --covariate`."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from test_clv_summary import _orders, _shop

from siyu.clv.covariate import compare
from siyu.clv.step import orders_source_sql
from siyu.clv.summary import Period
from siyu.engine import Engine

T = dt.datetime


def test_members_are_in_the_private_domain_at_the_calibration_end(duck: Engine) -> None:
    n = 800
    duck.write_arrow("orders", _orders(_shop(n, seed=4)), mode="replace")
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
    gains = compare(duck, orders_source_sql(duck), Period(dt.date(2024, 9, 30), dt.date(2024, 12, 31)), ["bgnbd"])
    assert [(g.model, g.members, g.non_members) for g in gains] == [("bgnbd", 401, n - 401)]
    g = gains[0]
    assert g.mae_pooled > 0 and g.mae_stratified > 0 and g.gain == 1 - g.mae_stratified / g.mae_pooled
    assert g.totals_members[0] >= 0 and set(g.params_members) == {"r", "alpha", "a", "b"}
