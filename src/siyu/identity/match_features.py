"""What probabilistic matching compares, derived in SQL from `identities` (portable to Spark).

The one thing SQL cannot do, Chinese → pinyin, is computed in Python over the DISTINCT names only (cheap:
far fewer names than identities) and joined back, so homophone typos (张伟 / 张炜) compare equal by sound.
"""

from __future__ import annotations

import pyarrow as pa

from siyu.domain.zh_names import pinyin_of
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.identity.tables import node_sql

FEATURES = "tmp_identity_features"
PINYIN = "tmp_identity_pinyin"
CONTEXT = "tmp_identity_context"
#: a name at the start of a WeCom remark ("王叶", "王叶-宝妈"): 2 to 4 CJK characters
REMARK_NAME = "^([一-鿿]{2,4})"


def pinyin_table(names: list[str]) -> pa.Table:
    clean = [n for n in names if n]
    return pa.table({"name": pa.array(clean, pa.string()),
                     "name_pinyin": pa.array([pinyin_of(n) for n in clean], pa.string())})


def _rest_of_address(alias: str = "") -> str:
    """The address without the province/city/district it repeats and without spaces."""
    p = f"{alias}." if alias else ""
    out = f"coalesce({p}address, '')"
    for part in ("province", "city", "district"):
        out = f"replace({out}, coalesce({p}{part}, '#'), '')"
    return f"nullif(replace({out}, ' ', ''), '')"


def build_pinyin(engine: Engine, source: str = "identities") -> int:
    """Write `tmp_identity_pinyin(name, name_pinyin)` for the distinct names of `source`."""
    names = engine.query(f"SELECT DISTINCT name FROM {source} WHERE name IS NOT NULL").column("name").to_pylist()
    table = pinyin_table(names)
    engine.create_temp_table(PINYIN, table.schema)  # scratch (and `identity explain` reads a read-only snapshot)
    return engine.write_arrow(PINYIN, table)


def add_pinyin(engine: Engine, names_sql: str) -> int:
    """Append to `tmp_identity_pinyin` the pinyin of the names `names_sql` (a column `name`) it lacks yet."""
    names = engine.query(
        f"SELECT DISTINCT q.name FROM ({names_sql}) q LEFT JOIN {PINYIN} p ON p.name = q.name "
        f"WHERE q.name IS NOT NULL AND p.name IS NULL"
    ).column("name").to_pylist()
    return engine.write_arrow(PINYIN, pinyin_table(names)) if names else 0


def real_name_sql(nickname_channels: list[str], alias: str = "") -> str:
    """The name when it is a person's real, unmasked name (WeCom shows a chosen display name instead)."""
    p = f"{alias}." if alias else ""
    channels = literal_list(nickname_channels or [""])
    return (f"CASE WHEN NOT coalesce({p}name_masked, false) AND {p}channel NOT IN {channels} "
            f"THEN {p}name END")


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


def build_context(engine: Engine) -> int:
    """Write `tmp_identity_context(node, remark_name, store_city, store_district)` from the tables that exist.

    Evidence no identity row carries: the real name a staff member typed as a WeCom friend's remark, and
    where a store buyer or a store guide's friend shops (the store's city and district; most people shop
    near home). Returns rows written.
    """
    parts = ["SELECT CAST(NULL AS VARCHAR) AS node, CAST(NULL AS VARCHAR) AS remark_name, "
             "CAST(NULL AS VARCHAR) AS store_id WHERE 1 = 0"]
    if engine.table_exists("contacts"):
        parts.append(
            f"SELECT 'wecom:' || external_userid AS node, "
            f"min(nullif(regexp_extract(trim(remark), '{REMARK_NAME}', 1), '')) AS remark_name, "
            f"CAST(NULL AS VARCHAR) AS store_id FROM contacts WHERE external_userid IS NOT NULL "
            f"GROUP BY external_userid"
        )
    if engine.table_exists("stores"):
        stores = []
        if engine.table_exists("orders"):
            stores.append(_store_of_buyers_sql())
        if engine.table_exists("contacts"):
            stores.append(_store_of_friends_sql(engine.table_exists("staff")))
        parts += [f"SELECT node, CAST(NULL AS VARCHAR) AS remark_name, store_id FROM ({s}) q" for s in stores]
    union = " UNION ALL ".join(parts)
    shops = "LEFT JOIN stores s ON s.store_id = u.store_id" if engine.table_exists("stores") else ""
    city = "s.city" if shops else "CAST(NULL AS VARCHAR)"
    district = "s.district" if shops else "CAST(NULL AS VARCHAR)"
    return engine.create_temp_table_as(
        CONTEXT,
        f"SELECT u.node, min(u.remark_name) AS remark_name, min({city}) AS store_city, "
        f"min({district}) AS store_district FROM ({union}) u {shops} GROUP BY u.node",
    )


def build_features(
    engine: Engine, source: str = "identities", nickname_channels: list[str] | None = None,
    groups: str | None = None,
) -> int:
    """Write `tmp_identity_features`, one row per identity with what Splink compares; returns rows.

    With `groups(node, label)` (the persons hard keys already formed), an identity's missing attributes
    are filled from its group: a WeCom friend known by a display name and a phone carries the real name
    and address its mini-program account (same unionid) gave, so it can match a masked Tmall buyer.
    """
    if not engine.table_exists(PINYIN) or source != "identities":
        build_pinyin(engine, source)
    build_context(engine)
    add_pinyin(engine, f"SELECT remark_name AS name FROM {CONTEXT}")
    real = real_name_sql(nickname_channels or [], "s")
    # a WeCom friend's remark is the name staff typed for them: a real name, where the profile shows a nickname
    own = f"""
        SELECT {node_sql('s')} AS unique_id, coalesce(x.remark_name, s.name) AS name,
               coalesce(s.name_masked, false) AND x.remark_name IS NULL AS name_masked,
               coalesce({real}, x.remark_name) AS real_name,
               s.phone, s.phone_prefix, s.phone_suffix, coalesce(s.phone_masked, false) AS phone_masked,
               lower(trim(s.email)) AS email, s.nickname, s.gender, s.birthday, s.province, s.city, s.district,
               {_rest_of_address("s")} AS address_rest, x.store_city, x.store_district
        FROM {source} s LEFT JOIN {CONTEXT} x ON x.node = {node_sql('s')}
    """
    filled = own if groups is None else _filled_from_groups(own, groups)
    return engine.create_temp_table_as(
        FEATURES,
        f"""
        WITH i AS ({filled})
        SELECT i.unique_id, i.name, i.name_masked, i.real_name IS NOT NULL AS name_real, i.phone, i.phone_prefix,
               i.phone_suffix, i.phone_masked, i.email, i.nickname, i.gender, i.birthday, i.province, i.city,
               i.district, i.address_rest, i.store_city, i.store_district,
               CASE WHEN NOT i.name_masked THEN p.name_pinyin END AS name_pinyin,
               substr(i.name, 1, 1) AS name_first,
               CASE WHEN i.address_rest IS NOT NULL THEN coalesce(i.district, '') || i.address_rest END
                   AS address_key
        FROM i LEFT JOIN {PINYIN} p ON p.name = i.name
        """,
    )


def _filled_from_groups(own: str, groups: str) -> str:
    """Each identity's own values, else those of one member of its group that has them."""
    return f"""
        WITH o AS ({own}),
        g AS (SELECT o.*, coalesce(l.label, o.unique_id) AS label FROM o LEFT JOIN {groups} l ON l.node = o.unique_id),
        donors AS (
            SELECT label,
                   min(real_name) AS g_name, min(phone) AS g_phone, min(birthday) AS g_birthday,
                   min(email) AS g_email, min(nickname) AS g_nickname, min(gender) AS g_gender,
                   min(unique_id) FILTER (WHERE district IS NOT NULL AND address_rest IS NOT NULL) AS g_home,
                   min(unique_id) FILTER (WHERE store_city IS NOT NULL) AS g_shop
            FROM g GROUP BY label
        )
        SELECT g.unique_id,
               coalesce(g.real_name, d.g_name, g.name) AS name,
               CASE WHEN g.real_name IS NULL AND d.g_name IS NOT NULL THEN false ELSE g.name_masked END AS name_masked,
               coalesce(g.real_name, d.g_name) AS real_name,
               coalesce(g.phone, d.g_phone) AS phone,
               coalesce(g.phone_prefix, substr(d.g_phone, 1, 3)) AS phone_prefix,
               coalesce(g.phone_suffix, right(d.g_phone, 4)) AS phone_suffix,
               CASE WHEN g.phone IS NULL AND d.g_phone IS NOT NULL THEN false ELSE g.phone_masked END AS phone_masked,
               coalesce(g.email, d.g_email) AS email, coalesce(g.nickname, d.g_nickname) AS nickname,
               coalesce(g.gender, d.g_gender) AS gender, coalesce(g.birthday, d.g_birthday) AS birthday,
               CASE WHEN g.district IS NULL THEN h.province ELSE g.province END AS province,
               CASE WHEN g.district IS NULL THEN h.city ELSE g.city END AS city,
               coalesce(g.district, h.district) AS district,
               CASE WHEN g.district IS NULL THEN h.address_rest ELSE g.address_rest END AS address_rest,
               CASE WHEN g.store_city IS NULL THEN sh.store_city ELSE g.store_city END AS store_city,
               CASE WHEN g.store_city IS NULL THEN sh.store_district ELSE g.store_district END AS store_district
        FROM g JOIN donors d ON d.label = g.label
        LEFT JOIN o h ON h.unique_id = d.g_home
        LEFT JOIN o sh ON sh.unique_id = d.g_shop
    """
