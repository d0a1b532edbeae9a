"""Stocks measured at a moment (private-domain size, stored-value holders, active persons) and the churn between.

Membership is read from the merged spells of `mx_spells`. A person is in the domain at the start of day D when
a spell covers the end of day D-1 (siyu.domain.private: it began before D and had not ended before D), counted
here as running totals of spell starts and ends. "At the end of a period" is the start of the next day.
Every query returns (period, slice_value, numerator, denominator[, value]).
"""

from __future__ import annotations

from siyu.engine.quote import literal
from siyu.metrics.periods import PERIODS_TABLE, Window


def _spells(slice_name: str) -> str:
    return (f"SELECT slice_value, person_id, start_at, end_at, start_day, end_day FROM mx_spells "
            f"WHERE slice = {literal(slice_name)}")


def running_size(w: Window, spells_sql: str) -> str:
    """Persons in the domain at each period's start and end, per slice value, as running totals of joins − exits.

    Running totals over period labels (not a per-day range join) keep this cheap at any grain.
    """
    delta = f"""
        SELECT slice_value, b, sum(n) AS n FROM (
            SELECT slice_value, {w.bucket_or_before('start_day')} AS b, count(*) AS n FROM ({spells_sql}) AS sp
            GROUP BY 1, 2
            UNION ALL
            SELECT slice_value, {w.bucket_or_before('end_day')} AS b, -count(*) AS n
            FROM ({spells_sql}) AS sp WHERE end_day IS NOT NULL GROUP BY 1, 2
        ) AS d WHERE b IS NOT NULL GROUP BY 1, 2
    """
    # no CTEs: sqlglot lifts them to the top for Spark, where two uses in one query would clash
    return f"""
        SELECT b AS period, slice_value, at_end AS size_end, at_end - n AS size_start FROM (
            SELECT g.slice_value, g.b, coalesce(d.n, 0) AS n,
                   sum(coalesce(d.n, 0)) OVER (PARTITION BY g.slice_value ORDER BY g.b ROWS UNBOUNDED PRECEDING)
                   AS at_end
            FROM (
                SELECT v.slice_value, p.b FROM (SELECT DISTINCT slice_value FROM ({delta}) AS x) AS v
                CROSS JOIN (SELECT period AS b FROM {PERIODS_TABLE} UNION ALL SELECT {literal(w.before)} AS b) AS p
            ) AS g LEFT JOIN ({delta}) AS d ON d.slice_value = g.slice_value AND d.b = g.b
        ) AS run WHERE b >= {literal(w.start)}
    """


def size(w: Window, slice_name: str) -> str:
    """Private-domain size at the end of each period (persons, or a staff member's friends, a group's members)."""
    return f"""
        SELECT period, slice_value, size_end AS numerator, CAST(NULL AS DOUBLE) AS denominator
        FROM ({running_size(w, _spells(slice_name))}) AS s
    """


def _lost(w: Window, slice_name: str) -> str:
    """Persons in the domain at a period's start who are no longer in it at its end (left, not back)."""
    sp = _spells(slice_name)
    return f"""
        SELECT x.slice_value, x.period, count(*) AS n FROM (
            SELECT s.slice_value, p.period, s.person_id FROM ({sp}) AS s
            JOIN {PERIODS_TABLE} AS p ON p.period = {w.bucket('s.end_day')}
            WHERE s.start_day < p.start_day
        ) AS x LEFT JOIN (
            -- back again by the period's end: a re-add within the period is not churn
            SELECT s.slice_value, p.period, s.person_id FROM ({sp}) AS s
            JOIN {PERIODS_TABLE} AS p ON p.period = {w.bucket('s.start_day')}
            WHERE s.end_day IS NULL OR s.end_day >= p.stop_day
        ) AS back ON back.slice_value = x.slice_value AND back.period = x.period AND back.person_id = x.person_id
        WHERE back.person_id IS NULL GROUP BY x.slice_value, x.period
    """


def churn(w: Window, slice_name: str) -> str:
    """DOMAIN.md: persons who left in the period ÷ size at its start."""
    return f"""
        SELECT s.period, s.slice_value, coalesce(l.n, 0) AS numerator, s.size_start AS denominator
        FROM ({running_size(w, _spells(slice_name))}) AS s
        LEFT JOIN ({_lost(w, slice_name)}) AS l ON l.slice_value = s.slice_value AND l.period = s.period
    """


def group_exit_rate(w: Window, slice_name: str) -> str:
    """Members who left a group ÷ its members at the start; for 'all', summed over group memberships."""
    by_group = churn(w, "group")
    if slice_name == "group":
        return by_group
    return f"""
        SELECT period, 'all' AS slice_value, sum(numerator) AS numerator, sum(denominator) AS denominator
        FROM ({by_group}) AS g GROUP BY period
    """


def group_members(w: Window, slice_name: str) -> str:
    """Group members at the end of the period (a person in two groups counts in each; 'all' sums them)."""
    by_group = size(w, "group")
    if slice_name == "group":
        return by_group
    return f"""
        SELECT period, 'all' AS slice_value, sum(numerator) AS numerator, CAST(NULL AS DOUBLE) AS denominator
        FROM ({by_group}) AS g GROUP BY period
    """


def _cut(table: str, slice_name: str) -> str:
    return f"SELECT slice_value, person_id, start_day, end_day FROM {table} WHERE slice = {literal(slice_name)}"


def stored_value_rate(w: Window, slice_name: str) -> str:
    """DOMAIN.md: persons with a stored-value top-up (by then) ÷ private-domain size, at the period's end.
    Numerator: running total over the spells from each person's first top-up on (`mx_holder_spells`)."""
    return f"""
        SELECT d.period, d.slice_value, coalesce(h.size_end, 0) AS numerator, d.size_end AS denominator
        FROM ({running_size(w, _spells(slice_name))}) AS d
        LEFT JOIN ({running_size(w, _cut('mx_holder_spells', slice_name))}) AS h
          ON h.slice_value = d.slice_value AND h.period = d.period
    """


def activity(w: Window, slice_name: str) -> str:
    """DOMAIN.md: persons in the domain at the period's end with any interaction in the `activity_days` before
    ÷ size then. Numerator: running total over (domain spell ∩ active interval), `mx_active_spells`."""
    return f"""
        SELECT d.period, d.slice_value, coalesce(a.size_end, 0) AS numerator, d.size_end AS denominator
        FROM ({running_size(w, _spells(slice_name))}) AS d
        LEFT JOIN ({running_size(w, _cut('mx_active_spells', slice_name))}) AS a
          ON a.slice_value = d.slice_value AND a.period = d.period
    """
