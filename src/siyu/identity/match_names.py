"""Each identity's name as siyu.domain.zh_names reads it: the one reading `siyu dedupe` uses too.

SQL engines cannot parse 付 欣丽, VIP-刘欣妍, 张姐-深圳 or 李*波, so the distinct name strings (profile names and
WeCom remarks: far fewer than identities) are parsed in Python once and written as `tmp_identity_names`; SQL
joins it back on both engines. What an identity's name says:

- a full name (`name_full`), with its pinyin for comparing by sound, or only a surname (`partial`: a platform
  mask, 张姐, 小张), and the last character a mask left visible (李*波: 波);
- whether the name is the person's real one (`sure`): not a display name chosen on a nickname channel
  (WeCom), unless staff typed it as the friend's remark.

A surname or a visible character can refute a match (杜** is not 王丽婷, 李*波 is not 李博杰) and confirm one made
on other grounds; it never makes one alone.
"""

from __future__ import annotations

import re

import pyarrow as pa

from siyu.domain.zh_names import (
    COMPOUND_SURNAMES,
    SURNAMES,
    parse_name,
    pinyin_key,
    pinyin_of,
    surname_of,
    surname_undecided,
)
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.identity.tables import node_sql

NAMES = "tmp_identity_names"
#: two full names whose pinyin differ by at most this many edits may be one name mistyped (陈琳勤 / 陈羚勤)
NAME_TYPO_EDITS = 2
CONTEXT = "tmp_identity_context"
#: the imported rows of each identity (one per sighting), with the name each row gave
RAW_ROWS = "raw_identity"
_SURNAME_PINYIN = sorted({pinyin_of(s) for s in (*SURNAMES, *COMPOUND_SURNAMES)}, key=len, reverse=True)
#: letters (any script) and single spaces only: a name zh_names does not read, but still a name
_PLAIN = re.compile(r"[^\W\d_]+(?: [^\W\d_]+)*")
#: two to four Chinese characters and nothing else: on a nickname channel, a display name that reads as a name
_HAN_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}")


def _surname_of_pinyin(pinyin: str) -> str | None:
    """The surname a pinyin name (gaojinting) starts with, the longest that fits."""
    return next((s for s in _SURNAME_PINYIN if pinyin.startswith(s) and len(pinyin) > len(s)), None)


def _read(raw: str) -> dict[str, object]:
    """One name string read by zh_names; letters it does not read (Tom Li, a rare surname) are kept as written."""
    p = parse_name(raw)
    surname = pinyin_of(p.surname) if p.surname else (_surname_of_pinyin(p.pinyin) if p.pinyin else None)
    key = pinyin_key(raw)  # surname and given name in a fixed order: Feng Zhang is 张枫
    if surname_undecided(raw):
        surname = None  # Feng Zhang: 张 or 冯? a mask's surname neither confirms nor refutes it
    row: dict[str, object] = {
        "raw": raw, "name_full": None if p.partial else (p.name or key), "pinyin": None if p.partial else key,
        "surname": surname, "last": pinyin_of(p.last) if p.last else None, "partial": p.partial,
        "han_name": bool(p.surname) and not p.partial and bool(_HAN_NAME.fullmatch(raw.strip())),
    }
    if p.surname is None and p.pinyin is None:
        plain = " ".join(raw.split())
        if _PLAIN.fullmatch(plain) and len(plain.replace(" ", "")) >= 2:
            # a rare surname, a Western name, a name zh_names does not read: as written
            row.update(name_full=plain, pinyin=pinyin_of(plain))
            sur = surname_of(plain) if 2 <= len(plain) <= 4 else None
            if sur and len(sur) < len(plain):
                row.update(surname=pinyin_of(sur), last=pinyin_of(plain[-1]))
    return row


NAMES_SCHEMA = pa.schema([("raw", pa.string()), ("name_full", pa.string()), ("pinyin", pa.string()),
                          ("surname", pa.string()), ("last", pa.string()), ("partial", pa.bool_()),
                          ("han_name", pa.bool_())])


def names_table(raw: list[str]) -> pa.Table:
    """`raw → name_full, pinyin, surname, last, partial, han_name` for distinct non-empty strings (pinyin
    spellings). `han_name`: the string is nothing but a Chinese full name (郑影毓, not 🌸晴天🌸 or 张姐)."""
    rows = [_read(r) for r in raw if r]
    return pa.table({f.name: pa.array([row[f.name] for row in rows], f.type) for f in NAMES_SCHEMA},
                    schema=NAMES_SCHEMA)


def build_context(engine: Engine) -> int:
    """Write `tmp_identity_context(node, remark, store_city, store_district)` from the tables that exist.

    Evidence no identity row carries: the remark a staff member typed for a WeCom friend (often the real
    name), and where a store buyer or a store guide's friend shops (the store's city and district; most
    people shop near home). Returns rows written.
    """
    parts = ["SELECT CAST(NULL AS VARCHAR) AS node, CAST(NULL AS VARCHAR) AS remark, "
             "CAST(NULL AS VARCHAR) AS store_id WHERE 1 = 0"]
    if engine.table_exists("contacts") and "remark" in engine.table_schema("contacts").names:
        parts.append(
            "SELECT 'wecom:' || external_userid AS node, min(nullif(trim(c.remark), '')) AS remark, "
            "CAST(NULL AS VARCHAR) AS store_id FROM contacts c WHERE external_userid IS NOT NULL "
            "GROUP BY external_userid"
        )
    if engine.table_exists("stores"):
        stores = []
        if engine.table_exists("orders"):
            stores.append(_store_of_buyers_sql())
        if engine.table_exists("contacts"):
            stores.append(_store_of_friends_sql(engine.table_exists("staff")))
        parts += [f"SELECT node, CAST(NULL AS VARCHAR) AS remark, store_id FROM ({s}) q" for s in stores]
    union = " UNION ALL ".join(parts)
    shops = "LEFT JOIN stores s ON s.store_id = u.store_id" if engine.table_exists("stores") else ""
    city = "s.city" if shops else "CAST(NULL AS VARCHAR)"
    district = "s.district" if shops else "CAST(NULL AS VARCHAR)"
    return engine.create_temp_table_as(
        CONTEXT,
        f"SELECT u.node, min(u.remark) AS remark, min({city}) AS store_city, "
        f"min({district}) AS store_district FROM ({union}) u {shops} GROUP BY u.node",
    )


def _store_of_buyers_sql() -> str:
    """Each store identity's home store: where it bought most often (a till has no address, its store has)."""
    return """
        SELECT node, store_id FROM (
            SELECT node, store_id, row_number() OVER (PARTITION BY node ORDER BY n DESC, store_id) AS r
            FROM (SELECT 'store:' || channel_uid AS node, store_id, count(*) AS n FROM orders
                  WHERE channel = 'store' AND store_id IS NOT NULL GROUP BY channel_uid, store_id) c
        ) q WHERE r = 1
    """


def _store_of_friends_sql(with_staff: bool) -> str:
    """A WeCom friend's store: the store of the guide who added them, or the store whose QR code they scanned."""
    staff = "LEFT JOIN staff s ON s.staff_id = c.staff_id" if with_staff else ""
    guide = "s.store_id" if with_staff else "CAST(NULL AS VARCHAR)"
    return f"""
        SELECT 'wecom:' || c.external_userid AS node,
               min(coalesce({guide}, CASE WHEN c.state LIKE 'ST-%' THEN substr(c.state, 4) END)) AS store_id
        FROM contacts c {staff} WHERE c.external_userid IS NOT NULL GROUP BY c.external_userid
    """


def build_names(engine: Engine, source: str = "identities") -> int:
    """Write `tmp_identity_context` and `tmp_identity_names` (every distinct name and remark of `source`, read,
    and for `identities` the names on each identity's raw rows, which `key_links.build_shared` reads);
    returns the names written."""
    build_context(engine)
    rows = ""
    if source == "identities" and engine.table_exists(RAW_ROWS):
        rows = f"UNION SELECT DISTINCT name AS raw FROM {RAW_ROWS} WHERE name IS NOT NULL "
    raw = engine.query(
        f"SELECT DISTINCT name AS raw FROM {source} WHERE name IS NOT NULL {rows}"
        f"UNION SELECT DISTINCT remark AS raw FROM {CONTEXT} WHERE remark IS NOT NULL"
    ).column("raw").to_pylist()
    table = names_table(raw)
    engine.create_temp_table(NAMES, table.schema)  # scratch (and `identity explain` reads a read-only snapshot)
    return engine.write_arrow(NAMES, table)


def name_columns_sql(nickname_channels: list[str]) -> str:
    """The columns saying which name an identity goes by, over `{source} s` joined by `name_joins_sql()`:
    `name` (the remark staff typed when it reads as a name, else the identity's own), `name_masked` (the
    channel masked it), `name_sure` (a real name, not a display name chosen on a nickname channel) and
    `real_name` (that string, when it is a sure, unmasked full name)."""
    channels = literal_list(nickname_channels or [""])
    remark = "pr.surname IS NOT NULL"  # a remark that reads as a name (not 老客户, not a city)
    sure = f"({remark} OR s.channel NOT IN {channels})"
    return f"""
        CASE WHEN {remark} THEN x.remark ELSE s.name END AS name,
        coalesce(s.name_masked, false) AND NOT {remark} AS name_masked,
        {sure} AS name_sure,
        CASE WHEN {remark} THEN (CASE WHEN pr.name_full IS NOT NULL THEN x.remark END)
             WHEN {sure} AND NOT coalesce(s.name_masked, false) AND pn.name_full IS NOT NULL THEN s.name
        END AS real_name
    """


def name_joins_sql() -> str:
    """The joins `name_columns_sql` reads, after `FROM {source} s`: the remark (`x`) and both readings."""
    return (f"LEFT JOIN {CONTEXT} x ON x.node = {node_sql('s')} "
            f"LEFT JOIN {NAMES} pr ON pr.raw = x.remark LEFT JOIN {NAMES} pn ON pn.raw = s.name")


def read_name_sql(alias: str, names_alias: str) -> dict[str, str]:
    """The name columns the model compares, from a row (`alias`: name, name_masked) and its reading
    (`names_alias`, a join of `tmp_identity_names` on the name): a masked name shows its surname only."""
    i, p = alias, names_alias
    partial = f"(coalesce({p}.partial, false) OR coalesce({i}.name_masked, false))"
    return {
        "name": f"CASE WHEN NOT {partial} THEN {p}.name_full END",
        "name_pinyin": f"CASE WHEN NOT {partial} THEN {p}.pinyin END",
        "name_first": f"{p}.surname",
        "name_last": f"{p}.last",
        "name_masked": f"{partial} AND {p}.surname IS NOT NULL",
    }
