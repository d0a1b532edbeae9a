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


def build_features(engine: Engine, source: str = "identities") -> int:
    """Write `tmp_identity_features`, one row per identity with what Splink compares; returns rows."""
    names = engine.query(f"SELECT DISTINCT name FROM {source} WHERE name IS NOT NULL").column("name").to_pylist()
    engine.write_arrow(PINYIN, pinyin_table(names), mode="replace")
    return engine.create_table_as(
        FEATURES,
        f"""
        WITH i AS (
            SELECT {node_sql()} AS unique_id, name, coalesce(name_masked, false) AS name_masked,
                   phone, phone_prefix, phone_suffix, coalesce(phone_masked, false) AS phone_masked,
                   lower(trim(email)) AS email, nickname, gender, birthday, province, city, district,
                   {_rest_of_address()} AS address_rest
            FROM {source}
        )
        SELECT i.*, p.name_pinyin, substr(i.name, 1, 1) AS name_first,
               CASE WHEN i.address_rest IS NOT NULL THEN coalesce(i.district, '') || i.address_rest END
                   AS address_key
        FROM i LEFT JOIN {PINYIN} p ON p.name = i.name
        """,
    )
