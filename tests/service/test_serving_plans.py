"""The service's lookups stay lookups as the brand grows: the 360 view reads one row (the person's card,
published with the snapshot) whatever the person has, a guide's scope included; without a card (a warehouse
never published, a Spark lake) it is two round trips over the tables; and every table a search or a 360 view
reads is reached through a serving index, never scanned whole (staff and stores aside: one row per employee or
shop); a search on a published snapshot is one lookup of its search table. Checked on DuckDB's own executed
plans."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

from siyu.api.warehouse import Reader, Serving
from siyu.persons import Query, person_360, search
from siyu.persons.card import CARD_TABLE
from siyu.persons.finder import SEARCH_TABLE
from siyu.persons.scope import Scope

SMALL_TABLES = {"staff", "stores"}


class Recording:
    """The serving engine, keeping the SQL it was sent."""

    def __init__(self, engine: Reader) -> None:
        self.engine, self.sent = engine, []  # type: list[tuple[str, Mapping[str, object] | None]]

    def query(self, sql: str, params: Mapping[str, object] | None = None) -> Any:
        self.sent.append((sql, params))
        return self.engine.query(sql, params)

    def rows(self, sql: str, params: Mapping[str, object] | None = None) -> Any:
        self.sent.append((sql, params))
        return self.engine.rows(sql, params)

    def scalar(self, sql: str, params: Mapping[str, object] | None = None) -> Any:
        self.sent.append((sql, params))
        return self.engine.scalar(sql, params)

    def table_exists(self, name: str) -> bool:
        """The catalogue (kept per snapshot by the serving reader), not a lookup of the person."""
        return bool(self.engine.table_exists(name))


def scans(engine: Reader, sql: str, params: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """(table, scan type) of every table scan DuckDB ran for `sql`."""
    plan = json.loads(engine.con.execute(f"EXPLAIN (ANALYZE, FORMAT json) {sql}", params or {}).fetchall()[0][1])
    found: list[tuple[str, str]] = []

    def walk(node: dict[str, Any]) -> None:
        info = node.get("extra_info", {})
        if "Table" in info:
            found.append((info["Table"].rsplit(".", 1)[-1], info.get("Type", "")))
        for child in node.get("children", []):
            walk(child)

    for op in plan["operator"]:
        walk(op)
    return found


@pytest.fixture(scope="module")
def reader(demo_warehouse: Path) -> Any:
    """The published snapshot, as the service reads it: with its card."""
    serving = Serving(demo_warehouse)
    with serving.reader() as eng:
        assert eng.table_exists(CARD_TABLE)
        yield eng
    serving.close()


@pytest.fixture(scope="module")
def unpublished(demo_warehouse: Path) -> Any:
    """The warehouse itself (what is served before the first publication): serving indexes, no card."""
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    eng = Reader(con.cursor(), demo_warehouse)
    assert not eng.table_exists(CARD_TABLE)
    yield eng
    con.close()


def _busy_person(reader: Reader) -> str:
    """A person with several identities, WeCom among them (messages are read too)."""
    person, n = reader.con.execute(
        "SELECT person_id, count(*) FROM person_map WHERE person_id IN (SELECT person_id FROM person_map "
        "WHERE channel = 'wecom') GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchall()[0]
    assert n >= 2
    return str(person)


@pytest.mark.parametrize("who", ["everyone", "the owning guide"])
def test_the_360_view_reads_one_card_row(reader: Reader, who: str) -> None:
    person = _busy_person(reader)
    staff, store = reader.con.execute("SELECT owner_staff_id, owner_store_id FROM person_profile "
                                      "WHERE person_id = $p", {"p": person}).fetchall()[0]
    scope = Scope() if who == "everyone" else Scope(limited=True, staff_id=staff, store_id=store)
    recording = Recording(reader)
    view = person_360(recording, person, scope)  # type: ignore[arg-type]
    assert view is not None and view["identities"] and view["orders"] and view["messages"]
    read = [s for sql, params in recording.sent for s in scans(reader, sql, params)]
    assert read == [(CARD_TABLE, "Index Scan")]


def test_without_a_card_the_360_view_is_two_index_lookup_round_trips(unpublished: Reader) -> None:
    recording = Recording(unpublished)
    view = person_360(recording, _busy_person(unpublished), Scope())  # type: ignore[arg-type]
    assert view is not None and view["identities"] and view["orders"]
    assert len(recording.sent) == 2
    read = [s for sql, params in recording.sent for s in scans(unpublished, sql, params)]
    assert {t for t, _ in read} >= {"person_profile", "person_map", "identities", "person_orders", "messages",
                                    "person_tag", "clv_score"}
    assert [(t, kind) for t, kind in read if kind != "Index Scan" and t not in SMALL_TABLES] == []


@pytest.mark.parametrize("unmask", [False, True])
def test_the_card_shows_what_the_tables_show(reader: Reader, unpublished: Reader, unmask: bool) -> None:
    """The card is a copy made at publication: the same document, masked the same way, for every kind of
    person (with and without chats, orders, links, CLV, an owner)."""
    people = [r[0] for r in reader.con.execute(
        "SELECT person_id FROM person_profile ORDER BY hash(person_id) LIMIT 40").fetchall()]
    people.append(_busy_person(reader))
    for person in people:
        assert person_360(reader, person, Scope(), unmask) == person_360(unpublished, person, Scope(), unmask)
    guide = Scope(limited=True, staff_id="nobody", store_id="nowhere")
    assert person_360(reader, people[0], guide) is None


SEARCHES = ["phone", "masked phone", "name", "channel id", "channel id in a channel"]


def _searches(reader: Reader) -> dict[str, Query]:
    channel, uid, name, phone = reader.con.execute(
        "SELECT channel, channel_uid, name, phone FROM identities WHERE regexp_matches(phone, '^1[0-9]{10}$') "
        "AND name IS NOT NULL ORDER BY channel_uid LIMIT 1").fetchall()[0]
    return {"phone": Query(phone=phone), "masked phone": Query(phone=f"{phone[:3]}****{phone[-4:]}"),
            "name": Query(name=name), "channel id": Query(channel_uid=uid),
            "channel id in a channel": Query(channel_uid=uid, channel=channel)}


def _search_scans(reader: Reader, how: str) -> list[tuple[str, str]]:
    """The (table, scan) pairs a search of kind `how` makes, after checking it found someone."""
    recording = Recording(reader)
    items, total = search(recording, _searches(reader)[how], Scope())  # type: ignore[arg-type]
    assert total >= 1 and items
    return [s for sql, params in recording.sent for s in scans(reader, sql, params)]


@pytest.mark.parametrize("how", SEARCHES)
def test_a_search_is_one_lookup_of_the_search_table(reader: Reader, how: str) -> None:
    assert _search_scans(reader, how) == [(SEARCH_TABLE, "Index Scan")]


@pytest.mark.parametrize("how", SEARCHES)
def test_without_the_search_table_a_search_reads_through_the_indexes(unpublished: Reader, how: str) -> None:
    read = _search_scans(unpublished, how)
    assert read and all(kind == "Index Scan" for _, kind in read), read


def test_the_search_table_finds_what_the_tables_find(reader: Reader, unpublished: Reader) -> None:
    """Made at publication: the same persons, masked the same way, for every kind of search and reader (a guide
    sees only their own and their store's customers)."""
    found = reader.con.execute(
        "SELECT i.channel, i.channel_uid, i.name, i.phone, p.owner_staff_id, p.owner_store_id FROM identities AS i "
        "JOIN person_map AS m USING (channel, channel_uid) JOIN person_profile AS p USING (person_id) "
        "WHERE p.owner_staff_id IS NOT NULL AND p.owner_store_id IS NOT NULL ORDER BY hash(i.channel_uid) LIMIT 30"
    ).fetchall()
    assert found
    for channel, uid, name, phone, staff, store in found:
        queries = [Query(channel_uid=uid), Query(channel_uid=uid, channel=channel), Query(channel_uid=uid,
                                                                                        channel="nowhere")]
        queries += [Query(name=name)] if name else []
        queries += [Query(phone=phone), Query(phone=f"{phone[:3]}****{phone[-4:]}")] if phone else []
        for query in queries:
            for scope in (Scope(), Scope(True, staff, store), Scope(True, staff, None), Scope(True, None, store),
                          Scope(True, "nobody", "nowhere"), Scope(True)):
                for unmask in (False, True):
                    assert (search(reader, query, scope, 5, 0, unmask)
                            == search(unpublished, query, scope, 5, 0, unmask)), (query, scope)


def test_a_guides_search_is_still_one_lookup_of_the_search_table(reader: Reader) -> None:
    recording = Recording(reader)
    search(recording, _searches(reader)["name"], Scope(True, "nobody", "nowhere"))  # type: ignore[arg-type]
    assert [s for sql, params in recording.sent for s in scans(reader, sql, params)] == [(SEARCH_TABLE, "Index Scan")]


def test_a_guide_finds_their_customer_among_more_namesakes_than_a_search_reads(tmp_path: Path) -> None:
    """1,500 persons called 王芳, the guide's own customer the last of them: the scope narrows the key's rows
    before the cap of MAX_IDENTITIES matches, or the guide would be shown nobody."""
    from siyu.persons.indexes import create_serving_indexes
    from siyu.persons.search import MAX_IDENTITIES

    path = tmp_path / "search.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"""CREATE TABLE {SEARCH_TABLE} AS
            SELECT 'n:王芳' AS k, printf('P%05d', i) AS person_id, '王芳' AS name, '13800001111' AS phone,
                   'F' AS gender, '杭州市' AS city, 1 AS orders, 10.0 AS net_spend,
                   DATE '2026-01-01' AS last_order_date,
                   CASE WHEN i = 1499 THEN 'guide-1' ELSE 'guide-2' END AS owner_staff_id, 'S2' AS owner_store_id
            FROM range(1500) AS t(i) ORDER BY i""")
        create_serving_indexes(con)
    con = duckdb.connect(str(path), read_only=True)
    try:
        eng = Reader(con.cursor(), path)
        mine, total = search(eng, Query(name="王芳"), Scope(True, "guide-1", None))
        assert total == 1 and [p["person_id"] for p in mine] == ["P01499"]
        assert mine[0]["phone"] == "138****1111"  # still masked
        assert search(eng, Query(name="王芳"), Scope(True, "guide-3", "S9")) == ([], 0)
        assert search(eng, Query(name="王芳"), Scope())[1] == MAX_IDENTITIES  # everyone's: the cap, as documented
    finally:
        con.close()
