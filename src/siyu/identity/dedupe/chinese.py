"""Chinese people in an unknown table: names, phones and places read with siyu.domain's one set of rules.

A name column whose values are mostly Chinese (or pinyin) is parsed once per distinct value (masked 张**,
张姐-深圳, VIP-刘欣妍, gaojinting → name, surname, pinyin and whether only the surname is known); phones keep the
prefix and suffix a mask left and lose +86 and full-width digits; a one-line address is split into canonical
province, city and district. The same reading the warehouse's OneID uses (siyu.domain.zh_*).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from siyu.domain.zh_names import parse_name, pinyin_of
from siyu.domain.zh_phones import SHARED_NAMES, national_sql, phone_parts_sql
from siyu.domain.zh_places import address_parts_sql, city_sql, province_sql
from siyu.domain.zh_text import narrow_sql
from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident

#: the columns a Chinese name becomes
NAME_COLUMNS = ("zh_name", "zh_surname", "zh_surname_py", "zh_pinyin", "zh_partial", "zh_city", "zh_last_py")


def mostly_chinese(column: pa.ChunkedArray, share: float = 0.3) -> bool:
    """True when at least `share` of the non-empty values hold a CJK character (a sample of 2,000 is read)."""
    values = pc.drop_null(column).combine_chunks()[:2000]
    if len(values) == 0:
        return False
    hits = pc.sum(pc.match_substring_regex(values, "[\u4e00-\u9fff]")).as_py() or 0
    return hits / len(values) >= share


def name_columns(column: pa.ChunkedArray) -> dict[str, pa.Array]:
    """Each value's parse (see siyu.domain.zh_names), computed once per distinct value and spread back."""
    distinct = pc.unique(column)
    parsed = [parse_name(v) for v in distinct.to_pylist()]
    index = pc.index_in(column, value_set=distinct)
    cols = {
        "zh_name": [p.name for p in parsed], "zh_surname": [p.surname for p in parsed],
        "zh_surname_py": [pinyin_of(p.surname) if p.surname else None for p in parsed],
        "zh_pinyin": [p.pinyin for p in parsed], "zh_city": [p.city for p in parsed],
        "zh_last_py": [pinyin_of(p.last) if p.last else None for p in parsed],
    }
    out = {k: pc.take(pa.array(v, pa.string()), index) for k, v in cols.items()}
    out["zh_partial"] = pc.take(pa.array([p.partial for p in parsed], pa.bool_()), index)
    return dict(sorted(out.items()))


def phone_sql(col: str) -> dict[str, str]:
    """A phone column's parts: a mainland mobile (or any other number of 7+ digits) in full, else the prefix and
    suffix a platform's mask left; placeholders (18888888888) are no phone."""
    parts = phone_parts_sql(col)
    national = national_sql(col)
    other = f"CASE WHEN NOT regexp_matches({national}, '^1[0-9]') AND length(replace({national}, '*', '')) >= 7 " \
            f"AND strpos({national}, '*') = 0 THEN {national} END"
    parts["phone"] = f"coalesce({parts['phone']}, {other})"
    return parts


def unshare_phones(table: pa.Table, name_col: str | None) -> pa.Table:
    """A phone held by `SHARED_NAMES` or more distinct names is a shop's number: it links nobody."""
    if "phone" not in table.column_names or name_col is None or name_col not in table.column_names:
        return table
    cleared = arrow_sql(
        f"WITH shared AS (SELECT phone FROM t WHERE phone IS NOT NULL AND {ident(name_col)} IS NOT NULL "
        f"GROUP BY phone HAVING count(DISTINCT {ident(name_col)}) >= {SHARED_NAMES}) "
        f"SELECT CASE WHEN s.phone IS NULL THEN t.phone END AS phone FROM t LEFT JOIN shared s ON s.phone = t.phone "
        f"ORDER BY t.__pos",
        t=table.select(["phone", name_col]).append_column("__pos", pa.array(range(table.num_rows), pa.int64())),
    ).column("phone")
    return table.set_column(table.column_names.index("phone"), "phone", cleared)


def address_split_sql(col: str) -> dict[str, str]:
    """A one-line Chinese address as canonical province, city and district, and the rest (spaces dropped)."""
    text = f"nullif(trim({narrow_sql(ident(col))}), '')"
    part = f"({address_parts_sql(text)})"
    p = f"nullif(trim({part}.p), '')"
    return {
        "state": province_sql(p),
        "city": city_sql(f"nullif(trim({part}.c), '')", p),
        "district": f"nullif(trim({part}.d), '')",
        "address": f"nullif(replace(replace({part}.r, ' ', ''), '　', ''), '')",
    }
