"""Hand-built KOC data: five would-be KOCs (K1–K5) and two ordinary members (M1, M2) in one premium and four
normal groups, with purchases around the candidate thresholds (as of 2026-03-31, window 2025-04-01 → 2026-03-31)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine import Engine

from .brand import ORDER_SCHEMA, order, write_messages

AS_OF = dt.date(2026, 3, 31)
DATES = ["2025-05-01 10:00", "2025-08-01 10:00", "2025-11-01 10:00", "2026-01-10 10:00", "2026-03-01 10:00"]


def _orders() -> list[dict[str, object]]:
    rows = [order("tmall", f"K1-{i}", "tk1", d, "paid", "2000") for i, d in enumerate(DATES)]  # 5, ¥10,000
    rows += [order("tmall", f"K2-{i}", "tk2", d, "paid", "1999.99" if i == 0 else "2000")
             for i, d in enumerate(DATES)]  # 5, ¥9,999.99
    rows += [order("tmall", "K3-old", "tk3", "2025-03-31 10:00", "paid", "3000")]  # a day before the window
    rows += [order("tmall", f"K3-{i}", "tk3", d, "paid", "3000") for i, d in enumerate(DATES[1:])]  # 4 inside
    rows += [order("tmall", f"K4-{i}", "tk4", d, "paid", "2400") for i, d in enumerate(DATES)]  # no speech
    rows += [order("tmall", f"K5-{i}", "tk5", d, "paid", "2000") for i, d in enumerate(DATES[:4])]
    rows += [order("tmall", "K5-refunded", "tk5", "2026-02-01 10:00", "refunded", "5000", "5000"),
             order("tmall", "K5-march", "tk5", "2026-03-05 10:00", "paid", "2000"),
             order("tmall", "M1-march", "tm1", "2026-03-20 10:00", "paid", "500")]
    return rows


GROUPS = [("GA", "福利群"), ("GN1", "社群"), ("GN2", "社群"), ("GN3", "社群"), ("GN4", "社群")]
JOINS = [("GA", "k1"), ("GN1", "k1"), ("GN2", "k1"), ("GA", "k5"), ("GN1", "k5"), ("GN2", "k5"), ("GN3", "k5"),
         ("GN4", "k5"), ("GN1", "m1"), ("GA", "m2")]
GROUP_SPEECH = [("GA", "k1", 3, "2026-03-10"), ("GA", "k5", 1, "2026-03-11"), ("GN1", "k5", 2, "2026-03-12"),
                ("GN2", "k5", 1, "2026-03-13"), ("GN3", "k5", 1, "2026-03-14"), ("GN1", "m1", 4, "2026-03-15"),
                ("GN4", "k2", 1, "2026-02-10"), ("GN4", "k3", 1, "2026-03-16")]


def build(engine: Engine) -> None:
    engine.write_arrow("orders", pa.Table.from_pylist(_orders(), ORDER_SCHEMA), mode="replace")
    people = [f"k{i}" for i in range(1, 6)] + ["m1", "m2"]
    engine.write_arrow("person_map", pa.table({
        "channel": ["wecom"] * len(people) + ["tmall"] * len(people),
        "channel_uid": people + [f"t{p}" for p in people],
        "person_id": [p.upper() for p in people] * 2}), mode="replace")
    engine.write_arrow("chat_groups", pa.table({"group_id": [g[0] for g in GROUPS],
                                                "group_type": [g[1] for g in GROUPS]}), mode="replace")
    events = [(g, m, "join", "2026-01-01 09:00") for g, m in JOINS] + [("GA", "m2", "leave", "2026-03-15 09:00")]
    engine.write_arrow("group_events", pa.table({
        "group_id": [e[0] for e in events], "member_id": [e[1] for e in events], "event": [e[2] for e in events],
        "event_at": pa.array([dt.datetime.fromisoformat(e[3]) for e in events], pa.timestamp("us"))}),
        mode="replace")
    speech = [("group", None, g, None, who, "customer", f"{day} 1{i}:00")
              for g, who, n, day in GROUP_SPEECH for i in range(n)]
    write_messages(engine, [*speech, ("1v1", "c5", None, "G1", "k5", "customer", "2026-03-02 10:00")])
