"""What probabilistic matching compares, derived in SQL from `identities` (portable to Spark).

The one thing SQL cannot do, Chinese → pinyin, is computed in Python over the DISTINCT names only (cheap:
far fewer names than identities) and joined back, so homophone typos (张伟 / 张炜) compare equal by sound.
"""

from __future__ import annotations

import pyarrow as pa
from pypinyin import lazy_pinyin

from siyu.engine import Engine
from siyu.identity.tables import node_sql

FEATURES = "tmp_identity_features"
PINYIN = "tmp_identity_pinyin"


def pinyin_of(name: str) -> str:
    """Lower-case pinyin without tones or spaces; Latin text is kept (lower-cased, spaces dropped)."""
    return "".join(lazy_pinyin(name)).replace(" ", "").lower()


def pinyin_table(names: list[str]) -> pa.Table:
    clean = [n for n in names if n]
    return pa.table({"name": pa.array(clean, pa.string()),
                     "name_pinyin": pa.array([pinyin_of(n) for n in clean], pa.string())})


def _rest_of_address() -> str:
    """The address without the province/city/district it repeats and without spaces."""
    out = "coalesce(address, '')"
    for part in ("province", "city", "district"):
        out = f"replace({out}, coalesce({part}, '#'), '')"
    return f"nullif(replace({out}, ' ', ''), '')"


def build_pinyin(engine: Engine, source: str = "identities") -> int:
    """Write `tmp_identity_pinyin(name, name_pinyin)` for the distinct names of `source`."""
    names = engine.query(f"SELECT DISTINCT name FROM {source} WHERE name IS NOT NULL").column("name").to_pylist()
    return engine.write_arrow(PINYIN, pinyin_table(names), mode="replace")


def real_name_sql(nickname_channels: list[str], alias: str = "") -> str:
    """The name when it is a person's real, unmasked name (WeCom shows a chosen display name instead)."""
    p = f"{alias}." if alias else ""
    channels = ", ".join("'" + c.replace("'", "''") + "'" for c in nickname_channels) or "''"
    return (f"CASE WHEN NOT coalesce({p}name_masked, false) AND {p}channel NOT IN ({channels}) "
            f"THEN {p}name END")


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
    real = real_name_sql(nickname_channels or [])
    own = f"""
        SELECT {node_sql()} AS unique_id, name, coalesce(name_masked, false) AS name_masked, {real} AS real_name,
               phone, phone_prefix, phone_suffix, coalesce(phone_masked, false) AS phone_masked,
               lower(trim(email)) AS email, nickname, gender, birthday, province, city, district,
               {_rest_of_address()} AS address_rest
        FROM {source}
    """
    filled = own if groups is None else _filled_from_groups(own, groups)
    return engine.create_table_as(
        FEATURES,
        f"""
        WITH i AS ({filled})
        SELECT i.unique_id, i.name, i.name_masked, i.real_name IS NOT NULL AS name_real, i.phone, i.phone_prefix,
               i.phone_suffix, i.phone_masked, i.email, i.nickname, i.gender, i.birthday, i.province, i.city,
               i.district, i.address_rest, p.name_pinyin, substr(i.name, 1, 1) AS name_first,
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
                   min(unique_id) FILTER (WHERE district IS NOT NULL AND address_rest IS NOT NULL) AS g_home
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
               CASE WHEN g.district IS NULL THEN h.address_rest ELSE g.address_rest END AS address_rest
        FROM g JOIN donors d ON d.label = g.label
        LEFT JOIN o h ON h.unique_id = d.g_home
    """
