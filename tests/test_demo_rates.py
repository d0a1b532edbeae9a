"""The demo's rates, measured straight from the generated tables, land in the configured ranges.

The brand is written directly into a DuckDB warehouse with its truth table alongside, and every rate is
computed here in SQL from the raw tables (DOMAIN.md's definitions), independently of the generator's own
bookkeeping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from siyu.demo.brand import DemoBrand, generate
from siyu.demo.config import DemoConfig
from siyu.demo.direct import write_direct
from siyu.engine import Engine
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.schema import migrate

CFG = DemoConfig(persons=6000, seed=5)
END = dt.datetime.combine(CFG.end, dt.time()) + dt.timedelta(days=1)


@pytest.fixture(scope="module")
def brand() -> DemoBrand:
    return generate(CFG)


@pytest.fixture(scope="module")
def wh(brand: DemoBrand, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One warehouse for the module: writing it once keeps these tests fast."""
    engine = DuckDBEngine(tmp_path_factory.mktemp("rates") / "demo.duckdb")
    migrate(engine)
    write_direct(engine, brand.exports.items())
    engine.write_arrow("truth", brand.truth, mode="replace")
    yield engine
    engine.close()


PERSON_ORDERS = """
    SELECT DISTINCT t.person_key, o.order_id, o.created_at, o.status
    FROM raw_order o JOIN truth t ON t.channel = o.channel AND t.channel_uid = o.channel_uid
    WHERE t.person_key IS NOT NULL
"""
FRIENDS = """
    SELECT t.person_key, min(c.added_at) AS added_at,
           max(coalesce(c.removed_at, TIMESTAMP '9999-01-01')) AS removed_at
    FROM raw_contact c JOIN truth t ON t.channel = 'wecom' AND t.channel_uid = c.external_userid
    GROUP BY 1
"""
# a person stays in the private domain while a friend or a group member; they leave when both ended
DOMAIN = f"""
    WITH g AS (
        SELECT t.person_key,
               max(CASE WHEN e.event = 'leave' THEN e.event_at END) AS left_at,
               count(*) FILTER (WHERE e.event = 'join') AS joins,
               count(*) FILTER (WHERE e.event = 'leave') AS leaves
        FROM raw_group_event e JOIN truth t ON t.channel = 'wecom' AND t.channel_uid = e.member_id
        GROUP BY 1
    )
    SELECT f.person_key, f.added_at,
           CASE WHEN g.person_key IS NOT NULL AND g.joins > g.leaves THEN NULL
                ELSE greatest(nullif(f.removed_at, TIMESTAMP '9999-01-01'), g.left_at) END AS exit_at,
           f.removed_at = TIMESTAMP '9999-01-01' AS still_friend
    FROM ({FRIENDS}) f LEFT JOIN g USING (person_key)
"""


def _domain_end(wh: Engine) -> str:
    return f"SELECT person_key FROM ({DOMAIN}) WHERE still_friend OR exit_at IS NULL OR exit_at >= TIMESTAMP '{END}'"


def test_orders_per_person_and_refunds(wh: Engine) -> None:
    orders = wh.scalar("SELECT count(DISTINCT channel || order_id) FROM raw_order")
    assert 9.0 <= orders / CFG.persons <= 11.0
    refund = wh.scalar("""
        SELECT count(*) FILTER (WHERE status IN ('refunded', 'partially_refunded')) / count(*)
        FROM (SELECT DISTINCT channel, order_id, status FROM raw_order WHERE status NOT IN ('pending', 'closed'))
    """)
    assert 0.05 <= refund <= 0.10


def test_acquisition_rate(wh: Engine) -> None:
    rate = wh.scalar("""
        SELECT (SELECT count(*) FROM raw_contact WHERE add_source = 'package_card')
             / (SELECT count(*) FROM raw_parcel WHERE with_card)
    """)
    assert 0.03 <= rate <= 0.15


def test_first_order_conversion(wh: Engine) -> None:
    rate = wh.scalar(f"""
        WITH f AS ({FRIENDS}), o AS ({PERSON_ORDERS}),
        firsts AS (
            SELECT f.person_key, f.added_at, min(o.created_at) AS first_after
            FROM f LEFT JOIN o ON o.person_key = f.person_key AND o.created_at > f.added_at
            GROUP BY 1, 2
        )
        SELECT avg(CASE WHEN first_after <= added_at + INTERVAL 7 DAY THEN 1 ELSE 0 END) FROM firsts
    """)
    assert 0.20 <= rate <= 0.30


def test_stored_value_rate(wh: Engine) -> None:
    rate = wh.scalar(f"""
        SELECT count(DISTINCT s.person_key) / (SELECT count(*) FROM ({_domain_end(wh)}))
        FROM (SELECT t.person_key FROM raw_stored_value v
              JOIN truth t ON t.channel = v.channel AND t.channel_uid = v.channel_uid
              WHERE v.kind = 'topup') s
        WHERE s.person_key IN ({_domain_end(wh)})
    """)
    assert 0.05 <= rate <= 0.10


def test_activity_rate(wh: Engine) -> None:
    since = END - dt.timedelta(days=30)
    rate = wh.scalar(f"""
        WITH d AS ({_domain_end(wh)}),
        talk AS (
            SELECT t.person_key FROM raw_message m JOIN truth t ON t.channel = 'wecom' AND t.channel_uid = m.customer_id
            WHERE m.sender_type = 'customer' AND m.sent_at >= TIMESTAMP '{since}'
        ),
        bought AS (SELECT person_key FROM ({PERSON_ORDERS}) WHERE created_at >= TIMESTAMP '{since}')
        SELECT count(*) FILTER (WHERE person_key IN (SELECT * FROM talk UNION SELECT * FROM bought)) / count(*)
        FROM d
    """)
    assert 0.30 <= rate <= 0.40


def test_yearly_churn(wh: Engine) -> None:
    """DOMAIN.md: 50 % in about two years down to 20 % in a year and a half, i.e. ~13–25 % a year."""
    start = END - dt.timedelta(days=365)
    rate = wh.scalar(f"""
        WITH d AS ({DOMAIN}),
        at_start AS (SELECT * FROM d WHERE added_at < TIMESTAMP '{start}'
                     AND (exit_at IS NULL OR exit_at >= TIMESTAMP '{start}'))
        SELECT count(*) FILTER (WHERE exit_at < TIMESTAMP '{END}') / count(*) FROM at_start
    """)
    assert 0.10 <= rate <= 0.25


def test_private_domain_shifts_channel_mix(wh: Engine) -> None:
    """Once a person joins, a larger share of their orders goes to the mini-program and stores."""
    before, after = wh.query(f"""
        WITH f AS ({FRIENDS}),
        o AS (SELECT DISTINCT t.person_key, r.channel, r.order_id, r.created_at FROM raw_order r
              JOIN truth t ON t.channel = r.channel AND t.channel_uid = r.channel_uid)
        SELECT avg(CASE WHEN o.channel IN ('miniprogram', 'store') THEN 1 ELSE 0 END) AS private
        FROM o JOIN f USING (person_key)
        GROUP BY o.created_at > f.added_at ORDER BY o.created_at > f.added_at
    """).column("private").to_pylist()
    assert after > before + 0.2


def test_reply_rate_drops_along_the_script(wh: Engine) -> None:
    rows = wh.query("""
        WITH s AS (SELECT conversation_id, sent_at, right(script_line_id, 1)::INT AS line FROM raw_message
                   WHERE script_line_id IS NOT NULL),
        r AS (SELECT conversation_id, sent_at FROM raw_message WHERE sender_type = 'customer' AND kind = '1v1')
        SELECT line, avg(CASE WHEN EXISTS (SELECT 1 FROM r WHERE r.conversation_id = s.conversation_id
                    AND r.sent_at > s.sent_at AND r.sent_at < s.sent_at + INTERVAL 6 HOUR) THEN 1 ELSE 0 END) AS rate
        FROM s GROUP BY 1 ORDER BY 1
    """).column("rate").to_pylist()
    assert rows[0] > 0.7 and rows[-1] < rows[0] - 0.4


def test_top_up_is_about_twice_an_order(wh: Engine) -> None:
    ratio = wh.scalar("""
        SELECT (SELECT avg(amount) FROM raw_stored_value WHERE kind = 'topup')
             / (SELECT sum(amount_paid - coalesce(refund_amount, 0)) / count(*)
                FROM (SELECT DISTINCT channel, order_id, amount_paid, refund_amount FROM raw_order
                      WHERE channel <> 'douyin' AND status NOT IN ('pending', 'closed')))
    """)
    assert 1.5 <= ratio <= 3.0
