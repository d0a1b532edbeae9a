"""Store-guide attribution, commission, leaderboard and handover on the hand-built brand (tests/koc/brand.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest
import sqlalchemy as sa

from siyu.config import Settings
from siyu.config.sections import ConfigError
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.guides.attribution import attribute, revenue_share
from siyu.guides.commission import statements
from siyu.guides.leaderboard import leaderboard
from siyu.guides.owners import hand_over, owners, transfers_of
from siyu.guides.settings import GuideSettings, guide_settings
from siyu.ingest.normalise import normalise
from siyu.metrics import build_base, metrics_config
from siyu.metrics.base import drop_base
from siyu.metrics.funnel import staff_conversion
from siyu.metrics.settings import MetricsSettings

from .brand import ORDERS, build, order

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
CFG = GuideSettings(indirect_days=7)


@pytest.fixture
def brand(duck: Engine) -> Engine:
    build(duck)
    return duck


def _attributed(engine: Engine, cfg: GuideSettings = CFG) -> dict[str, tuple[str, str]]:
    attribute(engine, cfg, *MARCH)
    return {r["order_id"]: (r["guide_id"], r["rule"])
            for r in engine.query("SELECT order_id, guide_id, rule FROM guide_attribution").to_pylist()}


def test_direct_beats_indirect_and_every_order_is_attributed_once(brand: Engine) -> None:
    # O1: a share by G1, and P1 chatted with G2 two days before → the share wins; O4: G3's till beats G2's chat;
    # O2: P1 bought on Tmall 3 days after G2's chat → indirect; O3: 9 days after → nothing; O5 (refunded, still
    # paid) 1 day after G1's chat; O6: nobody's customer; O7: February; O8: pending, never attributed.
    assert _attributed(brand) == {"O1": ("G1", "share"), "O2": ("G2", "indirect"), "O4": ("G3", "till"),
                                  "O5": ("G1", "indirect")}
    assert brand.scalar("SELECT count(*) - count(DISTINCT order_id) FROM guide_attribution") == 0
    why = {r["order_id"]: r["reason"] for r in brand.query("SELECT order_id, reason FROM guide_attribution")
           .to_pylist()}
    assert "share by G1" in why["O1"] and "1:1 conversation with G2" in why["O2"]
    assert brand.scalar("SELECT guide_store_id FROM guide_attribution WHERE order_id = 'O2'") == "S1"


def test_indirect_window_and_rules_come_from_the_settings(brand: Engine) -> None:
    assert _attributed(brand, GuideSettings(indirect_days=10))["O3"] == ("G2", "indirect")
    only_direct = _attributed(brand, GuideSettings(rules=["share", "till"]))
    assert only_direct == {"O1": ("G1", "share"), "O4": ("G3", "till")}
    no_share = _attributed(brand, GuideSettings(rules=["till", "indirect"]))
    assert no_share["O1"] == ("G2", "indirect")  # without the share rule the chat two days before counts
    assert "O2" not in _attributed(brand, GuideSettings(excluded_channels=["tmall"]))


def test_revenue_share_of_direct_and_indirect_sales(brand: Engine) -> None:
    attribute(brand, CFG, *MARCH)
    share = revenue_share(brand, CFG, *MARCH)
    # March net: O1 100 + O2 200 + O3 50 + O4 300 + O5 0 (fully refunded) + O6 1000 = 1650
    assert share == {"net_sales": 1650.0, "direct": 400.0, "indirect": 200.0, "share": pytest.approx(600 / 1650)}


def test_commission_statement_with_refund_clawback(brand: Engine) -> None:
    got = {g: (s.earned_fen, s.clawback_fen, s.total_fen) for g, s in statements(brand, CFG, "2026-03").items()}
    # G1: O1 100 × 5% = 500 fen; O5 400 × 2% = 800 fen, refunded in March: −800
    # G2: O2 200 × 2% = 400 fen; G3: O4 300 × 5% = 1500 fen; O7 (February) refunded 100 in March: −500
    assert got == {"G1": (1300, -800, 500), "G2": (400, 0, 400), "G3": (1500, -500, 1000)}
    g3 = statements(brand, CFG, "2026-03", "G3")
    assert list(g3) == ["G3"] and [ln.order_id for ln in g3["G3"].lines] == ["O7", "O4"]


def test_commission_rates_per_rule(brand: Engine) -> None:
    cfg = GuideSettings(rates={"share": Decimal("0.10"), "indirect": Decimal("0")})
    got = {g: s.total_fen for g, s in statements(brand, cfg, "2026-03").items()}
    assert got == {"G1": 1000, "G2": 0, "G3": 0}  # till has no rate here: earns nothing, claws back nothing


def test_refund_next_month_claws_back_then(brand: Engine) -> None:
    late = [o if o["order_id"] != "O1" else order("miniprogram", "O1", "m1", "2026-03-05 12:00",
                                                    "partially_refunded", "100", "40", "2026-04-02 10:00",
                                                    share="G1") for o in ORDERS]
    build(brand, late)
    march = statements(brand, CFG, "2026-03")["G1"]
    april = statements(brand, CFG, "2026-04")["G1"]
    assert march.earned_fen == 1300 and april.total_fen == -200  # 40 × 5%


def test_leaderboard(brand: Engine) -> None:
    rows = leaderboard(brand, CFG, *MARCH)
    # conversion: G2's new friend P2 (2 March) first paid 19 days later (O4), not within 7; G1's P4 (10 March)
    # two days later (O5, paid then refunded: an order all the same, as the metric counts it)
    assert [(r["guide_id"], r["friends_added"], r["first_order_conversion"], r["repurchase"], r["attributed_sales"])
            for r in rows] == [("G3", 0, None, 1.0, Decimal("300.00")), ("G2", 1, 0.0, 1.0, Decimal("200.00")),
                               ("G1", 1, 1.0, 0.0, Decimal("100.00"))]
    wider = leaderboard(brand, CFG, *MARCH, MetricsSettings(conversion_days=20, as_of=dt.date(2026, 4, 30)))
    assert {r["guide_id"]: r["first_order_conversion"] for r in wider}["G2"] == 1.0
    # P4 added on 10 March with a 14-day window is not counted yet on 21 March, the last day with data
    later = leaderboard(brand, CFG, *MARCH, MetricsSettings(conversion_days=14))
    assert {r["guide_id"]: (r["friends_added"], r["first_order_conversion"]) for r in later}["G1"] == (1, None)


def test_leaderboard_conversion_is_the_staff_metric(duck: Engine) -> None:
    """A guide's first-order conversion on the leaderboard is the one the metrics show for them."""
    normalise(duck)  # every clean table the metrics read, empty; then the brand's, widened to the clean columns
    wide = {t: duck.table_schema(t) for t in ("orders", "contacts", "messages", "staff")}
    build(duck)
    for name, schema in wide.items():
        narrow = duck.query(f"SELECT * FROM {name}")
        duck.write_arrow(name, pa.table([narrow[f.name].cast(f.type) if f.name in narrow.column_names
                                         else pa.nulls(narrow.num_rows, f.type) for f in schema], schema=schema),
                         mode="replace")
    board = {r["guide_id"]: r["first_order_conversion"] for r in leaderboard(duck, CFG, *MARCH)}
    build_base(duck, metrics_config(Settings()))
    staff = {r["staff_id"]: r["rate"] for r in staff_conversion(duck, *MARCH)}
    drop_base(duck)
    assert staff == {g: v for g, v in board.items() if v is not None} == {"G1": 1.0, "G2": 0.0}


def test_owner_is_the_earliest_friend_and_handover_keeps_history(brand: Engine, store: sa.Engine) -> None:
    # P2 also buys at store S2's till, but G2 added them: G2's store; P9 only buys at S2: S2's, no guide
    assert {p: (o.guide_id, o.store_id) for p, o in owners(brand, store).items()} == {
        "P1": ("G1", "S1"), "P2": ("G2", "S1"), "P4": ("G1", "S1"), "P9": (None, "S2")}
    first = hand_over(brand, store, "G1", "G2", "lead", "G1 left the company")
    assert {p: o.guide_id for p, o in owners(brand, store).items()} == {"P1": "G2", "P2": "G2", "P4": "G2",
                                                                        "P9": None}
    hand_over(brand, store, "G2", "G3", "lead", "store S1 closed")
    now = owners(brand, store)
    assert {p: (o.guide_id, o.store_id) for p, o in now.items()} == {
        "P1": ("G3", "S2"), "P2": ("G3", "S2"), "P4": ("G3", "S2"), "P9": (None, "S2")}
    assert [(t["from_staff_id"], t["to_staff_id"]) for t in transfers_of(store, "P1")] == [("G1", "G2"),
                                                                                           ("G2", "G3")]
    assert now["P1"].since != f"handover {first}"
    with pytest.raises(ValueError, match="reason"):
        hand_over(brand, store, "G3", "G1", "lead", " ")


def test_guides_section_is_validated() -> None:
    with pytest.raises(ConfigError, match="guides"):
        guide_settings(Settings(sections={"guides": {"rules": ["shared"]}}))
    with pytest.raises(ConfigError, match="tmal"):
        guide_settings(Settings(sections={"guides": {"excluded_channels": ["tmal"]}}))
    assert guide_settings(Settings(sections={"guides": {"indirect_days": 3}})).indirect_days == 3


def test_periods_outside_the_calendar_are_refused(brand: Engine) -> None:
    with pytest.raises(UserError, match="start 0001-01-01 is outside"):
        attribute(brand, CFG, dt.date(1, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(UserError, match="month must be YYYY-MM"):
        statements(brand, CFG, "2026-3")
    with pytest.raises(UserError, match="month 0001-01-01 is outside"):
        statements(brand, CFG, "0001-01")
