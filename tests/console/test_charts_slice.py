"""The home page's slice-value trend: one value beside the team's on the periods either has, a gap (never a
zero) where a month is missing, and the values offered largest first."""

from __future__ import annotations

import datetime as dt
import re

from siyu.report import svg
from siyu.web import charts

JUL, AUG, SEP = dt.date(2026, 7, 1), dt.date(2026, 8, 1), dt.date(2026, 9, 1)


def _points(markup: str, series: str) -> dict[str, float]:
    found = re.findall(rf'data-series="{series}" data-period="([^"]+)" data-value="([^"]+)"', markup)
    return {period: float(value) for period, value in found}


def test_the_value_and_the_team_are_drawn_on_the_same_months_with_a_gap_for_a_missing_one() -> None:
    mine = [{"period": AUG, "value": 0.25}, {"period": SEP, "value": 0.5}]
    team = [{"period": JUL, "value": 0.2}, {"period": AUG, "value": 0.3}, {"period": SEP, "value": 0.4}]
    out = str(charts.slice_trend(mine, team, ("wecom", "whole brand"), "rate", "no data"))
    assert 'data-chart="lines"' in out
    assert _points(out, "value") == {"2026-08-01": 0.25, "2026-09-01": 0.5}  # July absent: no point, no zero
    assert _points(out, "team") == {"2026-07-01": 0.2, "2026-08-01": 0.3, "2026-09-01": 0.4}
    assert "wecom 2026-09-01: 50.0%" in out and ">whole brand</text>" in out  # the tooltip and the legend


def test_no_values_say_no_data() -> None:
    out = svg.lines(["2026-09-01"], [("value", "x", [None]), ("team", "all", [None])], "count", "no data")
    assert 'data-chart="lines"' in out and "no data" in out and "<circle" not in out


def test_values_are_offered_largest_first_by_the_people_a_rate_is_over() -> None:
    rows = [{"period": SEP, "slice_value": "shop", "denominator": 50, "value": 0.9},
            {"period": SEP, "slice_value": "wecom", "denominator": 400, "value": 0.1},
            {"period": AUG, "slice_value": "ads", "denominator": 900, "value": 0.3},
            {"period": SEP, "slice_value": "tmall", "denominator": None, "value": 70}]
    assert charts.slice_sizes(rows, SEP) == ["wecom", "tmall", "shop", "ads"]
