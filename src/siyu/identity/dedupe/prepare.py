"""Clean a table of people into the standard columns the generic model compares.

Dates are parsed from any common format (19560409, 1956-04-09, 09/04/1956); a year alone becomes 1 January
of that year; a date that does not parse keeps its digits (`dob_str`) so a typo still counts as evidence.
A Chinese full name without a space (王丽华) is split into its surname (王) and given name (丽华).
Headers are the user's: they reach SQL only through `siyu.engine.quote.ident`; the standard columns have
names of siyu's own (`text_3` for the fourth column of the file).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from siyu.domain.zh_places import city_sql, province_sql
from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident
from siyu.identity.dedupe import chinese
from siyu.identity.dedupe.names import canonical_given, soundex

NOT_LETTERS = "[^a-z\u4e00-\u9fff]"  # the real characters, which the SQL regex engine understands
HAN_NAME = "^[\u4e00-\u9fff]{2,4}$"  # a Chinese full name: surname first, no space
#: titles and suffixes people write inside a name field (words on their own, with or without a full stop)
TITLES = r"\b(mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|jr|sr|snr|jnr|ii|iii)\b\.?"
_DATE_FORMATS = "['%Y%m%d', '%Y-%m-%d', '%Y/%m/%d', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y', '%Y.%m.%d']"


def _text(col: str) -> str:
    return f"CAST({ident(col)} AS VARCHAR)"


def _clean(col: str) -> str:
    return f"nullif(lower(trim(regexp_replace({_text(col)}, '\\s+', ' ', 'g'))), '')"


def _alnum(col: str) -> str:
    return f"nullif(regexp_replace(lower({_text(col)}), '[^0-9a-z]', '', 'g'), '')"


def _untitled(expr: str) -> str:
    """`expr` (lower-cased text) without titles and suffixes written inside the name: mr, mrs, dr, prof, jr …"""
    return f"trim(regexp_replace({expr}, '{TITLES}', ' ', 'g'))"


def _letters(col: str) -> str:
    return f"nullif(regexp_replace({_untitled(f'lower({_text(col)})')}, '{NOT_LETTERS}', '', 'g'), '')"


def _date(col: str) -> str:
    raw = f"trim({_text(col)})"
    return (f"CASE WHEN regexp_matches({raw}, '^[0-9]{{4}}$') THEN make_date(CAST({raw} AS INTEGER), 1, 1) "
            f"ELSE CAST(try_strptime({raw}, {_DATE_FORMATS}) AS DATE) END")


def standardise(table: pa.Table, id_col: str, roles: dict[str, str]) -> tuple[pa.Table, dict[str, str]]:
    """One row per record: unique_id plus the standard columns for the roles present; and each standard
    column's source column (to name it in a warning)."""
    by_role: dict[str, list[str]] = {}
    for col, role in roles.items():
        by_role.setdefault(role, []).append(col)
    select = [f"{_text(id_col)} AS unique_id"]
    sources: dict[str, str] = {}
    zh_name = by_role["full_name"][0] if "full_name" in by_role and chinese.mostly_chinese(
        table.column(by_role["full_name"][0])) else None
    if zh_name:
        del by_role["full_name"]  # read with siyu.domain's Chinese rules instead (masks, remarks, pinyin), below

    def add(sql: str, name: str, source: str) -> None:
        select.append(f"{sql} AS {name}")
        sources[name] = source

    if "given_name" in by_role:
        add(_letters(by_role["given_name"][0]), "given", by_role["given_name"][0])
    if "surname" in by_role:
        add(_letters(by_role["surname"][0]), "surname", by_role["surname"][0])
    if "full_name" in by_role:
        source = by_role["full_name"][0]
        full = _untitled(_clean(source))
        han = f"regexp_matches(coalesce({full}, ''), '{HAN_NAME}')"
        if "given_name" not in by_role:
            first = f"nullif(regexp_replace(split_part({full}, ' ', 1), '{NOT_LETTERS}', '', 'g'), '')"
            add(f"CASE WHEN {han} THEN substr({full}, 2) ELSE {first} END", "given", source)
        if "surname" not in by_role:
            add(f"CASE WHEN {han} THEN substr({full}, 1, 1) ELSE "
                f"nullif(regexp_replace(CASE WHEN strpos({full}, ' ') > 0 THEN "
                f"regexp_extract({full}, '([^ ]+)$', 1) END, '{NOT_LETTERS}', '', 'g'), '') END", "surname", source)
    if "dob" in by_role:
        col = by_role["dob"][0]
        add(_date(col), "dob", col)
        add(f"nullif(regexp_replace({_text(col)}, '[^0-9]', '', 'g'), '')", "dob_str", col)
    if "phone" in by_role:
        for name, sql in chinese.phone_sql(ident(by_role["phone"][0])).items():
            add(sql, name, by_role["phone"][0])
    places = _chinese_places(table, by_role)
    for name, sql in places.items():
        add(sql, name, by_role.get(name, by_role.get("address", [""]))[0])
    simple = {"email": _clean, "postcode": _alnum, "city": _clean, "street_number": _alnum, "district": _clean,
              "state": _clean, "occupation": _clean, "national_id": _alnum, "member_no": _alnum}
    simple = {role: fn for role, fn in simple.items() if role not in places}
    for role, fn in simple.items():
        if role in by_role:
            add(fn(by_role[role][0]), role, by_role[role][0])
    if "gender" in by_role:
        col = by_role["gender"][0]
        g = _clean(col)
        add(f"CASE WHEN {g} IN ('m', 'male', 'man', '男') THEN 'm' "
            f"WHEN {g} IN ('f', 'female', 'woman', '女') THEN 'f' END", "gender", col)
    if "address" in by_role and "address" not in places:
        parts = ", ".join(_clean(c) for c in by_role["address"])
        add(f"nullif(concat_ws(' ', {parts}), '')", "address", by_role["address"][0])
    for role in ("category", "text"):
        for col in by_role.get(role, []):
            add(_clean(col), f"{role}_{table.column_names.index(col)}", col)
    out = arrow_sql(f"SELECT {', '.join(select)} FROM t", t=table)
    if zh_name:
        for name, values in chinese.name_columns(table.column(zh_name)).items():
            out = out.append_column(name, values)
            sources[name] = zh_name
    out = _add_name_keys(out)
    if "address" in out.column_names:
        out = _add_flat(out)
        sources.update({c: sources["address"] for c in ("address_base", "address_flat")})
    return chinese.unshare_phones(out, "zh_name" if zh_name else "name_sorted"), sources


#: the flat inside a building: 5单元102室, 1502房, Apt 4B, Unit 12, Flat 3, #7 (the building, 9栋, stays in the base)
FLAT_ZH = "[0-9]+ *(单元|室|房|户)"
FLAT_EN = "\\b(apt|apartment|unit|flat|suite|ste|#) *\\.? *[0-9]+[a-z]?\\b|#[0-9]+[a-z]?"


def _add_flat(table: pa.Table) -> pa.Table:
    """`address_base` (the address without its flat) and `address_flat` (unit and room, e.g. '5-102'), so that one
    building but another flat can count against a match: neighbours, not one household."""
    words = "[^0-9a-z]|apt|apartment|unit|flat|suite|ste"
    english = f"regexp_replace(regexp_extract(address, '{FLAT_EN}', 0), '{words}', '', 'g')"
    sql = f"""
        SELECT nullif(trim(regexp_replace(regexp_replace(address, '{FLAT_ZH}', '', 'g'), '{FLAT_EN}', '', 'g'),
                           ' ,;'), '')
                   AS address_base,
               nullif(concat_ws('-', nullif(regexp_extract(address, '([0-9]+) *单元', 1), ''),
                                nullif(regexp_extract(address, '([0-9]+) *(室|房|户)', 1), ''),
                                nullif({english}, '')), '')
                   AS address_flat
        FROM t
    """
    flat = arrow_sql(sql, t=table.select(["address"]))
    return table.append_column("address_base", flat.column("address_base")).append_column(
        "address_flat", flat.column("address_flat"))


def _chinese_places(table: pa.Table, by_role: dict[str, list[str]]) -> dict[str, str]:
    """Canonical province / city / district when the places are written in Chinese: from their own columns,
    or split out of a one-line address when the table has none."""
    out: dict[str, str] = {}
    address = by_role.get("address", [None])[0]
    if address and chinese.mostly_chinese(table.column(address)):
        split = chinese.address_split_sql(address)
        out["address"] = split["address"]
        for role in ("state", "city", "district"):
            if role not in by_role:
                out[role] = split[role]
    state = by_role.get("state", [None])[0]
    if state and chinese.mostly_chinese(table.column(state)):
        out["state"] = province_sql(ident(state))
    city = by_role.get("city", [None])[0]
    if city and chinese.mostly_chinese(table.column(city)):
        out["city"] = city_sql(ident(city), ident(state) if state else None)
    return out


def _mapped(values: pa.ChunkedArray, fn: object) -> pa.Array:
    """Apply a Python function once per distinct value, then spread it back (cheap on big tables)."""
    distinct = pc.unique(values)
    mapped = pa.array([fn(v) for v in distinct.to_pylist()], pa.string())  # type: ignore[operator]
    return pc.take(mapped, pc.index_in(values, value_set=distinct))


def _add_name_keys(table: pa.Table) -> pa.Table:
    """Nickname-canonical given name, Soundex codes, and the sorted name tokens (swapped names)."""
    if "given" in table.column_names:
        table = table.append_column("given_canon", _mapped(table.column("given"), canonical_given))
        table = table.append_column("given_sx", _mapped(table.column("given"), soundex))
    if "surname" in table.column_names:
        table = table.append_column("surname_sx", _mapped(table.column("surname"), soundex))
    if {"given", "surname"} <= set(table.column_names):
        sorted_names = arrow_sql(
            "SELECT CASE WHEN given IS NOT NULL AND surname IS NOT NULL THEN "
            "CASE WHEN given < surname THEN given || ' ' || surname ELSE surname || ' ' || given END END AS k "
            "FROM t", t=table.select(["given", "surname"])
        ).column("k")
        table = table.append_column("name_sorted", sorted_names)
    return table
