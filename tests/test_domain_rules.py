"""Each shared business rule says the same in SQL (run on a real DuckDB) as in Python, for any input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.domain import (
    CHANNELS,
    ORDER_STATUSES,
    PRIVATE_CHANNELS,
    PUBLIC_CHANNELS,
    check_channels,
    is_purchase,
    mask_name,
    mask_phone,
    masked_address_sql,
    masked_name_sql,
    masked_phone_sql,
    net_amount,
    net_amount_sql,
    order_status,
    order_status_sql,
    paid_sql,
    person_sql,
    purchase_sql,
    refund_amount_sql,
)
from siyu.domain.private import covers_end_of, private_domain_sql
from siyu.engine import Engine
from siyu.engine.quote import literal
from siyu.metrics.base import _contacts_sql
from siyu.metrics.spells import spells_sql
from siyu.profile.facts import friends_sql, groups_sql


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


money = st.one_of(st.none(), st.decimals(min_value=Decimal("-50"), max_value=Decimal("99999"), places=2))
statuses = st.sampled_from(ORDER_STATUSES)


@settings(max_examples=300, deadline=None)
@given(status=statuses, paid=money, refunded=money)
def test_net_and_purchase_agree_in_sql_and_python(con: duckdb.DuckDBPyConnection, status: str,
                                                  paid: Decimal | None, refunded: Decimal | None) -> None:
    values = f"SELECT {literal(status)} AS status, {literal(paid)} AS paid, {literal(refunded)} AS refunded"
    net_sql = net_amount_sql("status", "paid", "refunded")
    sql_net, sql_purchase, sql_paid = con.execute(
        f"SELECT n, {purchase_sql('')}, {paid_sql('')} FROM "
        f"(SELECT status, {net_sql} AS net_amount, {net_sql} AS n FROM ({values}) AS v) AS o").fetchone() or ()
    net = net_amount(status, paid, refunded)
    assert sql_net == net and net >= 0
    assert sql_purchase == is_purchase(status, net)
    assert sql_paid == (status in ("paid", "partially_refunded", "refunded"))


def test_a_fully_refunded_order_is_paid_but_not_a_purchase() -> None:
    net = net_amount("refunded", Decimal("100.00"), Decimal("100.00"))
    assert net == 0 and not is_purchase("refunded", net)
    assert is_purchase("partially_refunded", net_amount("partially_refunded", Decimal("100"), Decimal("40")))
    assert net_amount("closed", Decimal("100"), None) == 0 and net_amount("paid", Decimal("5"), Decimal("9")) == 0


@settings(max_examples=200, deadline=None)
@given(subs=st.lists(statuses, min_size=1, max_size=5))
def test_order_status_from_sub_orders_agrees(con: duckdb.DuckDBPyConnection, subs: list[str]) -> None:
    rows = " UNION ALL ".join(f"SELECT {literal(s)} AS status" for s in subs)
    assert _one(con, f"SELECT {order_status_sql('status')} FROM ({rows}) AS s") == order_status(subs)


def test_order_status_examples() -> None:
    assert order_status(["refunded", "refunded"]) == "refunded"
    assert order_status(["paid", "refunded"]) == "partially_refunded"
    assert order_status(["pending", "paid"]) == "paid"
    assert order_status(["closed", "pending"]) == "pending"
    assert order_status(["closed"]) == "closed"


def test_a_refunded_order_without_an_amount_refunded_everything(con: duckdb.DuckDBPyConnection) -> None:
    sql = refund_amount_sql("s", "p", "r")
    got = con.execute(f"""SELECT {sql} FROM (VALUES ('refunded', 80.00::DECIMAL(18,2), NULL::DECIMAL(18,2)),
                           ('refunded', 80.00, 30.00), ('paid', 80.00, NULL)) AS t(s, p, r)""").fetchall()
    assert [r[0] for r in got] == [Decimal("80.00"), Decimal("30.00"), Decimal("0.00")]


phones = st.one_of(
    st.text(alphabet="0123456789", min_size=0, max_size=15),
    st.from_regex(r"1[0-9]{2}\*{4}[0-9]{4}", fullmatch=True),
    st.text(alphabet="0123456789+-* ", min_size=0, max_size=15),
)


@settings(max_examples=300, deadline=None)
@given(phone=phones)
def test_phone_mask_agrees_in_sql_and_python(con: duckdb.DuckDBPyConnection, phone: str) -> None:
    assert _one(con, f"SELECT {masked_phone_sql('x')} FROM (SELECT {literal(phone)} AS x) AS t") == mask_phone(phone)


@pytest.mark.parametrize("length", range(16))
def test_a_masked_phone_never_shows_more_than_seven_digits(length: int) -> None:
    phone = "13" + "5" * (length - 2) if length >= 2 else "1" * length
    masked = mask_phone(phone)
    assert masked is not None and len(masked) == length
    shown = sum(ch.isdigit() for ch in masked)
    assert shown == (7 if length == 11 else 2 if length > 2 else 0), masked  # never the whole number
    if length == 7:
        assert mask_phone("1234567") == "*****67"  # the segment export used to show all 7 digits


def test_phone_mask_examples() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138****5678") == "138****5678"  # exported masked by the platform: unchanged
    assert mask_phone("02161234567") == "*********67"  # 11 digits but not a mobile
    assert mask_phone("13812345678\n") == "**********8\n"  # not a mobile: a trailing newline is not ignored
    assert mask_phone(None) is None and mask_phone("") == ""


@settings(max_examples=200, deadline=None)
@given(name=st.one_of(st.text(max_size=8), st.sampled_from(["王丽华", "欧阳娜娜", "李", "", "Ann"])))
def test_name_and_address_masks_agree_in_sql_and_python(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if "\x00" in name:
        return
    got = con.execute(f"SELECT {masked_name_sql('x')}, {masked_address_sql('x')} FROM (SELECT {literal(name)} AS x)"
                      ).fetchone()
    assert got == (mask_name(name), "****")
    assert mask_name("王丽华") == "王**" and mask_name("李") == "*"


def test_an_identity_is_its_oneid_person_else_itself(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        f"SELECT {person_sql('c', 'u', 'p')}, {person_sql('c', 'u')} FROM (VALUES ('tmall', 'b1', 'P7'), "
        "('wecom', 'w:1', NULL)) AS t(c, u, p) ORDER BY c").fetchall()
    assert rows == [("P7", "tmall:b1"), ("wecom:w:1", "wecom:w:1")]


def test_channels_are_split_into_public_and_private() -> None:
    assert set(PUBLIC_CHANNELS) | set(PRIVATE_CHANNELS) == set(CHANNELS)
    assert not set(PUBLIC_CHANNELS) & set(PRIVATE_CHANNELS)
    assert check_channels(["tmall", "wecom"], "x") == ["tmall", "wecom"]
    with pytest.raises(ValueError, match="unknown channel 'tmal'; did you mean 'tmall'"):
        check_channels(["tmal"], "[channels] public")


# (identity, what happened): friendships are (added, removed), group events (event, at), all in March 2026
REACH: dict[str, list[tuple[str, ...]]] = {
    "removed_next_day": [("friend", "03-01 10:00", "03-11 08:00")],
    "removed_same_day": [("friend", "03-01 10:00", "03-10 23:00")],
    "join_and_leave_at_once": [("leave", "03-10 09:00"), ("join", "03-10 09:00")],
    "rejoined": [("join", "03-01 10:00"), ("leave", "03-03 10:00"), ("join", "03-09 10:00")],
    "left": [("join", "03-01 10:00"), ("leave", "03-05 10:00")],
    "joins_later": [("join", "03-11 10:00")],
}


@pytest.fixture(scope="module")
def reach() -> Iterator[duckdb.DuckDBPyConnection]:
    """The clean tables the three readers of the private-domain rule read, holding the cases of REACH."""
    con = duckdb.connect()
    ts = "TIMESTAMP '2026-{}:00'".format
    friends = [f"({literal(w)}, 's1', {ts(a)}, {ts(r)}, 'qr', NULL)"
               for w, evs in REACH.items() for kind, a, r in (e for e in evs if e[0] == "friend")]
    events = [f"('g1', {literal(w)}, {literal(e[0])}, {ts(e[1])})"
              for w, evs in REACH.items() for e in evs if e[0] != "friend"]
    con.execute(f"""
        CREATE TABLE contacts AS SELECT * FROM (VALUES {', '.join(friends)})
            AS t(external_userid, staff_id, added_at, removed_at, add_source, state);
        CREATE TABLE group_events AS SELECT * FROM (VALUES {', '.join(events)})
            AS t(group_id, member_id, event, event_at);
        CREATE TABLE chat_groups AS SELECT 'g1' AS group_id, 'VIP' AS group_name, 'customer' AS group_type;
        CREATE TABLE staff AS SELECT 's1' AS staff_id, 'st1' AS store_id;
        CREATE TABLE mx_person_map (channel VARCHAR, channel_uid VARCHAR, person_id VARCHAR);
        CREATE TABLE person_identities AS
            SELECT 'wecom' AS channel, w AS channel_uid, 'P-' || w AS person_id, row_number() OVER () AS person_key
            FROM (VALUES {', '.join(f'({literal(w)})' for w in REACH)}) AS t(w);
        CREATE TABLE mx_contacts AS {_contacts_sql()};
    """)
    yield con
    con.close()


@pytest.mark.parametrize(("day", "inside"), [
    (dt.date(2026, 3, 10), {"removed_next_day", "rejoined"}),
    (dt.date(2026, 3, 9), {"removed_next_day", "removed_same_day", "rejoined"}),
])
def test_who_is_in_the_private_domain_at_the_end_of_a_day(reach: duckdb.DuckDBPyConnection, day: dt.date,
                                                          inside: set[str]) -> None:
    """siyu.domain.private's edge cases, read through CLV's list, the profile's flags and the metrics' spells:
    removed the day after → in; removed that day → out; a join and a leave at one moment → out (the leave wins);
    re-joined after leaving → in."""
    ruled = {r[0] for r in reach.execute(f"SELECT channel_uid FROM ({private_domain_sql(day)}) AS p").fetchall()}
    profile = {r[0].removeprefix("P-") for r in reach.execute(f"""
        SELECT person_id FROM ({friends_sql(day)}) AS f WHERE active
        UNION SELECT person_id FROM ({groups_sql(day)}) AS g WHERE is_member""").fetchall()}
    spells = {r[0].removeprefix("wecom:") for r in reach.execute(f"""
        SELECT person_id FROM ({spells_sql()}) AS s WHERE slice = 'all' AND {covers_end_of(day)}""").fetchall()}
    assert ruled == profile == spells == inside


@pytest.mark.spark
def test_the_sql_forms_mean_the_same_on_spark(spark: Engine) -> None:
    """Steps write DuckDB SQL and Spark runs it transpiled: the rules must survive that unchanged."""
    phones = ["", "1", "12", "1234567", "13812345678", "138****5678", "02161234567", "13812345678\n", "+86 138", None]
    names = ["王丽华", "李", "", "Ann", None, "欧阳娜娜", "王", "x", "y", "z"]
    cases = [("paid", "100.00", None), ("refunded", "80.00", "80.00"), ("partially_refunded", "100.00", "40.00"),
             ("closed", "90.00", None), ("pending", "10.00", None), ("paid", "5.00", "9.00"), ("refunded", None, None),
             ("paid", "0.00", None), ("partially_refunded", "10.00", "10.00"), ("paid", "1.00", "0.50")]
    dec = pa.decimal128(18, 2)
    spark.write_arrow("rules", pa.table({
        "phone": phones, "name": names, "status": [c[0] for c in cases],
        "paid": pa.array([None if c[1] is None else Decimal(c[1]) for c in cases], dec),
        "refunded": pa.array([None if c[2] is None else Decimal(c[2]) for c in cases], dec),
    }), mode="replace")
    net = net_amount_sql("status", "paid", "refunded")
    rows = spark.query(f"""
        SELECT phone, name, {masked_phone_sql('phone')} AS mp, {masked_name_sql('name')} AS mn, status, paid, refunded,
               n AS net, {purchase_sql('')} AS purchase
        FROM (SELECT *, {net} AS n, {net} AS net_amount FROM rules) AS o""").to_pylist()
    assert len(rows) == len(cases)
    for r in rows:
        assert r["mp"] == mask_phone(r["phone"]), r
        assert r["mn"] == mask_name(r["name"]), r
        want = net_amount(r["status"], r["paid"], r["refunded"])
        assert r["net"] == want and r["purchase"] == is_purchase(r["status"], want), r


@pytest.mark.spark
def test_the_private_domain_rule_means_the_same_on_spark(spark: Engine, reach: duckdb.DuckDBPyConnection) -> None:
    """The metrics' spells run on Spark too: the intervals and the end-of-day predicate survive the transpiling."""
    for table in ("contacts", "group_events"):
        spark.write_arrow(table, reach.sql(f"SELECT * FROM {table}").to_arrow_table(), mode="replace")
    for day in (dt.date(2026, 3, 10), dt.date(2026, 3, 9)):
        sql = f"SELECT channel_uid FROM ({private_domain_sql(day)}) AS p"
        assert {r["channel_uid"] for r in spark.query(sql).to_pylist()} == {r[0] for r in reach.execute(sql).fetchall()}
