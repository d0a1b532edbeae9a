"""Cohort retention: persons grouped by the month they first joined the private domain, and the share of them
making a purchase (docs/definitions.md) in their month 1, 2, … N after joining (a "month" is 30 days from each
person's own join, so everyone gets the same time). A cell counts only persons whose month k has fully passed by
the as-of day."""

from __future__ import annotations

import datetime as dt

from siyu.engine import Engine
from siyu.engine.quote import literal


def cohort_sql(months: int, stop: dt.date) -> str:
    stop_ts = literal(dt.datetime.combine(stop, dt.time()))
    ks = ", ".join(f"({k})" for k in range(1, months + 1))
    return f"""
        WITH j AS (SELECT person_id, joined_at, CAST(date_trunc('month', joined_at) AS DATE) AS cohort
                   FROM mx_joined),
        ks AS (SELECT * FROM (VALUES {ks}) AS t(k)),
        idx AS (
            SELECT DISTINCT j.person_id,
                   CAST(floor(date_diff('second', j.joined_at, o.ts) / 2592000.0) AS BIGINT) + 1 AS k
            FROM j JOIN mx_orders AS o ON o.person_id = j.person_id AND o.ts >= j.joined_at AND o.is_purchase
        )
        SELECT j.cohort, ks.k AS month, count(*) AS persons, count(i.person_id) AS ordering,
               CAST(count(i.person_id) AS DOUBLE) / count(*) AS rate
        FROM j CROSS JOIN ks LEFT JOIN idx AS i ON i.person_id = j.person_id AND i.k = ks.k
        WHERE date_diff('second', j.joined_at, {stop_ts}) >= 2592000 * ks.k
        GROUP BY j.cohort, ks.k
    """


def cohorts(engine: Engine, months: int, as_of: dt.date) -> list[dict[str, object]]:
    """Rows (cohort, month, persons, ordering, rate), oldest cohort first."""
    sql = cohort_sql(months, as_of + dt.timedelta(days=1))
    rows = engine.query(f"SELECT * FROM ({sql}) AS c ORDER BY cohort, month").to_pylist()
    return rows
