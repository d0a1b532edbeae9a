"""Orders → points, with hand-worked numbers: 1 point per yuan of net paid, Tmall ×2, a 15-day return window."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from siyu.loyalty import earning, ledger, tiers
from siyu.loyalty.orders import OrderRow
from siyu.loyalty.rules import LoyaltySettings, Tier
from siyu.loyalty.tables import posting

RULES = LoyaltySettings(channel_multipliers={"tmall": 2}, return_window_days=15)
PAID = dt.date(2026, 3, 1)


def held(engine: Engine, person: str = "P1") -> dict[str, int]:
    with engine.connect() as conn:
        return {k: v for k, v in ledger.balances(conn, person).items() if v}


def types(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(posting.c.type).order_by(posting.c.id)).scalars())


def order(net: int, version: int = 1, status: str = "paid", channel: str = "tmall", person: str = "P1",
          **kw: int) -> OrderRow:
    return OrderRow(person, channel, "T100", version, status, net, PAID, **kw)


def test_points_are_pending_until_the_return_window_closes(ledger_db: Engine) -> None:
    earning.sync(ledger_db, [order(12_345)], RULES, PAID)  # ¥123.45 × 1 × 2 = 246.9 → 246
    assert held(ledger_db) == {"points_pending": 246}
    earning.sync(ledger_db, [order(12_345)], RULES, PAID + dt.timedelta(days=14))
    assert held(ledger_db) == {"points_pending": 246}
    earning.sync(ledger_db, [order(12_345)], RULES, PAID + dt.timedelta(days=15))
    assert held(ledger_db) == {"points": 246}
    assert types(ledger_db) == ["earn_pending", "release"]


def test_a_partial_refund_after_release_takes_back_its_share(ledger_db: Engine) -> None:
    earning.sync(ledger_db, [order(12_345)], RULES, PAID + dt.timedelta(days=20))
    earning.sync(ledger_db, [order(10_000, 2, "partially_refunded")], RULES, PAID + dt.timedelta(days=21))
    assert held(ledger_db) == {"points": 200}  # ¥100 left earns 200: 46 reversed
    with ledger_db.connect() as conn:
        last = ledger.history(conn, "P1", limit=1)[0]
    assert (last.type, last.kind, last.amount, last.order_id) == ("reverse", "points", -46, "T100")


def test_a_full_refund_before_release_leaves_nothing_to_release(ledger_db: Engine) -> None:
    earning.sync(ledger_db, [order(8_000)], RULES, PAID)
    earning.sync(ledger_db, [order(8_000, 2, "refunded")], RULES, PAID + dt.timedelta(days=30))
    assert held(ledger_db) == {}
    assert types(ledger_db) == ["earn_pending", "reverse"]


def test_an_amount_change_posts_the_difference(ledger_db: Engine) -> None:
    earning.sync(ledger_db, [order(10_000, channel="jd")], RULES, PAID + dt.timedelta(days=16))
    earning.sync(ledger_db, [order(15_000, 2, channel="jd")], RULES, PAID + dt.timedelta(days=17))
    assert held(ledger_db) == {"points": 150}
    assert types(ledger_db) == ["earn_pending", "release", "earn_available"]


def test_replays_and_stale_versions_post_nothing(ledger_db: Engine) -> None:
    rows = [order(10_000, 3)]
    for _ in range(3):
        earning.sync(ledger_db, rows, RULES, PAID)
    earning.sync(ledger_db, [order(99_999, 2)], RULES, PAID)  # an older version arriving late
    assert types(ledger_db) == ["earn_pending"]
    assert held(ledger_db) == {"points_pending": 200}


def test_what_earns_nothing(ledger_db: Engine) -> None:
    rules = RULES.model_copy(update={"excluded_statuses": ["partially_refunded"]})
    rows = [OrderRow("P1", "jd", "a", 1, "pending", 10_000, PAID),  # not paid: not a purchase
            OrderRow("P1", "jd", "b", 1, "partially_refunded", 10_000, PAID),  # excluded by the rules
            OrderRow("P1", "jd", "c", 1, "paid", 10_000, PAID, excluded_fen=3_000)]  # ¥30 of excluded items
    earning.sync(ledger_db, rows, rules, PAID)
    assert held(ledger_db) == {"points_pending": 70}


def test_the_tier_multiplier_is_fixed_when_the_order_is_first_seen(ledger_db: Engine) -> None:
    rules = RULES.model_copy(update={"tiers": [Tier(name="gold", min_spend_fen=100_000, multiplier=1.5)]})
    tiers.evaluate(ledger_db, {"P1": 120_000}, rules, PAID, evaluation_day=False)
    earning.sync(ledger_db, [order(10_000, channel="jd")], rules, PAID)  # ¥100 × 1.5
    tiers.evaluate(ledger_db, {"P1": 0}, rules, PAID + dt.timedelta(days=60), evaluation_day=True)
    earning.sync(ledger_db, [order(5_000, 2, "partially_refunded", channel="jd")], rules, PAID)
    assert held(ledger_db) == {"points_pending": 75}  # ¥50 still at 1.5, though the member is no longer gold


def test_orders_as_arrow(ledger_db: Engine) -> None:
    table = pa.table({"person_id": ["P1", "P2"], "channel": ["tmall", "jd"], "order_id": ["1", "2"],
                      "version": [1, 1], "status": ["paid", "paid"], "net_fen": [500, 999],
                      "paid_on": [dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 2, 11)]})
    result = earning.sync(ledger_db, table, RULES, PAID)
    assert result.postings == {"earn_pending": 2}
    assert (held(ledger_db, "P1"), held(ledger_db, "P2")) == ({"points_pending": 10}, {"points_pending": 9})
    with ledger_db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(posting)).scalar_one() == 2


def test_set_wise_and_one_by_one_postings_use_the_same_keys(ledger_db: Engine) -> None:
    """First-seen orders and releases are posted in SQL (siyu.loyalty.staged), later versions in Python: both
    write the ledger's one key of each, or a replay could post an order twice."""
    due = PAID + dt.timedelta(days=20)
    earning.sync(ledger_db, [order(12_345), order(5_000, channel="jd")], RULES, due)  # first seen, released at once
    earning.sync(ledger_db, [order(6_000, channel="store")], RULES, PAID)  # pending, released by release_due
    earning.release_due(ledger_db, RULES, due)
    earning.sync(ledger_db, [order(10_000, 2, "partially_refunded")], RULES, due)  # a new version, in Python
    with ledger_db.connect() as conn:
        keys = set(conn.execute(select(posting.c.key)).scalars())
    assert keys == {ledger.earn_key("tmall", "T100", 1), ledger.release_key("tmall", "T100"),
                    ledger.earn_key("jd", "T100", 1), ledger.release_key("jd", "T100"),
                    ledger.earn_key("store", "T100", 1), ledger.release_key("store", "T100"),
                    ledger.earn_key("tmall", "T100", 2)}
