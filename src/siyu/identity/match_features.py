"""What probabilistic matching compares, derived in SQL from `identities` (portable to Spark).

Names are read by siyu.domain.zh_names over the DISTINCT names only (see match_names) and joined back:
spaces, notes and remarks dropped, masked names reduced to what they show, homophones (张伟 / 张炜) equal by
pinyin.
"""

from __future__ import annotations

from siyu.engine import Engine
from siyu.identity.match_names import (
    NAMES,
    build_names,
    name_columns_sql,
    name_joins_sql,
    read_name_sql,
)
from siyu.identity.tables import node_sql

FEATURES = "tmp_identity_features"


def _rest_of_address(alias: str = "") -> str:
    """The address without the province/city/district it repeats and without spaces."""
    p = f"{alias}." if alias else ""
    out = f"coalesce({p}address, '')"
    for part in ("province", "city", "district"):
        out = f"replace({out}, coalesce({p}{part}, '#'), '')"
    return f"nullif(replace({out}, ' ', ''), '')"


def build_features(
    engine: Engine, source: str = "identities", nickname_channels: list[str] | None = None,
    groups: str | None = None, names_ready: bool = False,
) -> int:
    """Write `tmp_identity_features`, one row per identity with what Splink compares; returns rows.

    With `groups(node, label)` (the persons hard keys already formed), an identity's missing attributes
    are filled from its group: a WeCom friend known by a display name and a phone carries the real name
    and address its mini-program account (same unionid) gave, so it can match a masked Tmall buyer.
    `names_ready`: the caller built `tmp_identity_names` and the context of `identities` this run (the step).
    """
    if source != "identities" or not names_ready:
        build_names(engine, source)
    own = f"""
        SELECT {node_sql('s')} AS unique_id, {name_columns_sql(nickname_channels or [])},
               s.phone, s.phone_prefix, s.phone_suffix, coalesce(s.phone_masked, false) AS phone_masked,
               lower(trim(s.email)) AS email, s.nickname, s.gender, s.birthday, s.province, s.city, s.district,
               {_rest_of_address("s")} AS address_rest, x.store_city, x.store_district
        FROM {source} s {name_joins_sql()}
    """
    filled = own if groups is None else _filled_from_groups(own, groups)
    read = read_name_sql("i", "p")
    return engine.create_temp_table_as(
        FEATURES,
        f"""
        WITH i AS ({filled})
        SELECT i.unique_id, {read["name"]} AS name, {read["name_masked"]} AS name_masked,
               i.real_name IS NOT NULL AS name_real, i.name_sure, i.phone, i.phone_prefix,
               i.phone_suffix, i.phone_masked, i.email, i.nickname, i.gender, i.birthday, i.province, i.city,
               i.district, i.address_rest, i.store_city, i.store_district,
               {read["name_pinyin"]} AS name_pinyin, {read["name_first"]} AS name_first,
               {read["name_last"]} AS name_last,
               CASE WHEN i.address_rest IS NOT NULL THEN coalesce(i.district, '') || i.address_rest END
                   AS address_key
        FROM i LEFT JOIN {NAMES} p ON p.raw = i.name
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
               CASE WHEN g.real_name IS NULL AND d.g_name IS NOT NULL THEN true ELSE g.name_sure END AS name_sure,
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
