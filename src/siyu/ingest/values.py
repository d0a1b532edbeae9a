"""The rules for reading one cell as a typed value: each is a DuckDB SQL expression over the cleaned text `t`.

One module, because what counts as an amount, a date or a yes/no must not differ between the text path (CSV,
XLSX, JSON Lines) and the typed path (Parquet). Each rule accepts only what it can read without guessing and
gives NULL otherwise; the parser turns that NULL into a quarantine entry naming the field and the raw value.

- Money: an optional ¥/￥/RMB/CNY/元, digits with thousands separators only in groups of three, at most two
  decimals (more are refused, not rounded: 12.345 is not a price); `(12.50)` and `-12.50` are negative.
- Dates and times: the usual written forms; a time with an offset (`+08:00`, `Z`) or a zoned Parquet timestamp
  is converted to the brand's time zone; Unix epochs (10 or 13 digits) likewise; spreadsheet serials only
  from 10000 (1927-05-18), since a small number is far more likely a mistake than a date in 1900. Every date
  must fall between 1900-01-01 and a year from today.
- Birthdays: a date as above, or a month and day without a year (`05-12`, `5月12日`, `--05-12`).
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.engine.quote import literal

WS = " \t\r\n\u3000\ufeff\u00a0"
FULL_WIDTH = ("０１２３４５６７８９：／－．，（）＋", "0123456789:/-.,()+")
DATETIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)
ZONED_FORMATS: tuple[str, ...] = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S %z",
)
TRUE_WORDS = ("是", "有", "y", "yes", "true", "t", "1", "已放", "放")
FALSE_WORDS = ("否", "无", "n", "no", "false", "f", "0", "未放", "不放")
MIN_YEAR = 1900
EXCEL_MIN_SERIAL = 10_000  # 1927-05-18: smaller numbers in a date column are refused, not read as 1900s dates
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
DEFAULT_TIMEZONE = "Asia/Shanghai"
PLAIN_MONEY = r"-?[0-9]+(\.[0-9]{1,2})?"  # most cells: one cheap match, no clean-up (10x faster)
MONEY_PATTERN = r"-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2}0*)?"
INT_PATTERN = r"-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.0+)?"
MONTH_DAY_PATTERNS: tuple[str, ...] = (
    r"^(?:--)?([0-9]{1,2})[-/.]([0-9]{1,2})$",
    r"^([0-9]{1,2})月([0-9]{1,2})[日号]?$",
)
EXPECTED = {
    "datetime": "a date/time",
    "date": "a date",
    "birthday": "a date, or a month and day",
    "amount": "an amount",
    "int": "a whole number",
    "bool": "yes/no (是/否, Y/N, true/false, 1/0)",
}
# What the message adds after the value, so the user sees which rule it broke.
RULES = {
    "datetime": " (dates from 1900 to a year from now; spreadsheet serials from 10000)",
    "date": " (dates from 1900 to a year from now; spreadsheet serials from 10000)",
    "birthday": " (like 1990-05-12, 05-12 or 5月12日)",
    "amount": " (at most 2 decimals; thousands separators every 3 digits)",
}


def latest_date(today: dt.date | None = None) -> dt.datetime:
    """The latest date or time an export may hold: a year from today (pre-sales, scheduled deliveries)."""
    day = today or dt.date.today()
    return dt.datetime.combine(day + dt.timedelta(days=366), dt.time())


def _half_width(t: str) -> str:
    return f"translate({t}, {literal(FULL_WIDTH[0])}, {literal(FULL_WIDTH[1])})"


def in_range(ts: str) -> str:
    """`ts` (a column reference: it is read twice) when it lies between 1900 and a year from today, else NULL;
    year 0001 or 9999 is a typo. The parser applies it to every date, time and birthday it reads."""
    low = literal(dt.datetime(MIN_YEAR, 1, 1))
    return f"CASE WHEN {ts} >= {low} AND {ts} < {literal(latest_date())} THEN {ts} END"


def id_sql(t: str) -> str:
    """Excel's ="123" wrapper, tab/apostrophe prefixes and a numeric id's trailing .0 removed."""
    return (
        f"nullif(CASE WHEN starts_with({t}, '=\"') AND ends_with({t}, '\"') THEN trim({t}[3:-2], {literal(WS)}) "
        f"WHEN starts_with({t}, '''') OR starts_with({t}, '=') THEN trim(ltrim({t}, '''='), {literal(WS + chr(34))}) "
        f"WHEN ends_with({t}, '.0') AND regexp_full_match({t}, '[0-9]+\\.0') THEN {t}[1:-3] "
        f"ELSE {t} END, '')"
    )


def _serial_limit() -> float:
    return (latest_date() - EXCEL_EPOCH).total_seconds() / 86400


def datetime_sql(t: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """A written date/time as the brand's local wall-clock time, or NULL (range checked by `in_range`)."""
    formats = "[" + ", ".join(literal(f) for f in DATETIME_FORMATS) + "]"
    zoned = "[" + ", ".join(literal(f) for f in ZONED_FORMATS) + "]"
    tz = literal(timezone)
    n = _half_width(t)
    utc = f"regexp_replace({n}, '[Zz]$', '+00:00')"
    numeric = (
        f"CASE WHEN NOT regexp_full_match({n}, '[0-9]+(\\.[0-9]+)?') THEN NULL "
        f"WHEN length({n}) = 10 AND NOT contains({n}, '.') "
        f"THEN timezone({tz}, to_timestamp(CAST({n} AS BIGINT))) "
        f"WHEN length({n}) = 13 AND NOT contains({n}, '.') "
        f"THEN timezone({tz}, to_timestamp(CAST({n} AS BIGINT) / 1000.0)) "
        f"WHEN CAST({n} AS DOUBLE) BETWEEN {EXCEL_MIN_SERIAL} AND {_serial_limit()} "
        f"THEN {literal(EXCEL_EPOCH)} + to_microseconds(CAST(round(CAST({n} AS DOUBLE) * 86400000000) AS BIGINT)) "
        f"END"
    )
    parsed = (
        f"coalesce(try_strptime({t}, {formats}), try_strptime({n}, {formats}), "
        f"timezone({tz}, try_strptime({utc}, {zoned})), {numeric})"
    )
    return parsed


def date_sql(t: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    return f"CAST({datetime_sql(t, timezone)} AS DATE)"


def month_day_sql(t: str) -> str:
    """A birthday without a year as STRUCT(m INTEGER, d INTEGER), or NULL; 02-29 is a valid birthday."""
    n = _half_width(t)
    parts = " ".join(
        f"WHEN regexp_full_match({n}, {literal(p[1:-1])}) THEN regexp_extract({n}, {literal(p)}, ['m', 'd'])"
        for p in MONTH_DAY_PATTERNS
    )
    md = f"(CASE {parts} END)"
    valid = f"try_strptime('2000-' || {md}.m || '-' || {md}.d, '%Y-%m-%d') IS NOT NULL"
    return (
        f"CASE WHEN {md} IS NOT NULL AND {valid} "
        f"THEN {{'m': CAST({md}.m AS INTEGER), 'd': CAST({md}.d AS INTEGER)}} END"
    )


def amount_sql(t: str) -> str:
    """Money as DECIMAL(18,2), exact, or NULL (see the module's rules)."""
    stripped = f"regexp_replace({_half_width(t)}, '[¥￥\\s元]|RMB|CNY', '', 'g')"
    signed = f"regexp_replace({stripped}, '^\\((.*)\\)$', '-\\1')"
    return (
        f"CASE WHEN regexp_full_match({t}, {literal(PLAIN_MONEY)}) THEN CAST({t} AS DECIMAL(18,2)) "
        f"WHEN regexp_full_match({signed}, {literal(MONEY_PATTERN)}) "
        f"THEN CAST(replace({signed}, ',', '') AS DECIMAL(18,2)) END"
    )


def int_sql(t: str) -> str:
    s = f"replace({_half_width(t)}, ' ', '')"
    return (
        f"CASE WHEN regexp_full_match({t}, '-?[0-9]{{1,18}}') THEN CAST({t} AS BIGINT) "
        f"WHEN regexp_full_match({s}, {literal(INT_PATTERN)}) "
        f"THEN try_cast(split_part(replace({s}, ',', ''), '.', 1) AS BIGINT) END"
    )


def bool_sql(t: str) -> str:
    true = ", ".join(literal(w) for w in TRUE_WORDS)
    false = ", ".join(literal(w) for w in FALSE_WORDS)
    return f"CASE WHEN lower({t}) IN ({true}) THEN true WHEN lower({t}) IN ({false}) THEN false END"


def typed_sql(kind: str, col: str, arrow_type: pa.DataType, timezone: str = DEFAULT_TIMEZONE) -> str | None:
    """SQL for a typed file column (Parquet) that already holds the field's type; None when it must be parsed
    from text. Zoned timestamps become the brand's wall-clock time; money with more than 2 decimals is NULL."""
    if kind in ("datetime", "date", "birthday") and (
        pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    ):
        zoned = pa.types.is_timestamp(arrow_type) and arrow_type.tz is not None
        expr = f"timezone({literal(timezone)}, {col})" if zoned else f"CAST({col} AS TIMESTAMP)"
        return expr if kind == "datetime" else f"CAST({expr} AS DATE)"
    if kind == "amount" and pa.types.is_integer(arrow_type):
        return f"try_cast({col} AS DECIMAL(18,2))"
    if kind == "amount" and pa.types.is_decimal(arrow_type):
        return f"CASE WHEN {col} = round({col}, 2) THEN try_cast({col} AS DECIMAL(18,2)) END"
    if kind == "amount" and pa.types.is_floating(arrow_type):
        cents = f"({col} * 100)"
        return f"CASE WHEN abs({cents} - round({cents})) < 1e-6 THEN try_cast(round({col}, 2) AS DECIMAL(18,2)) END"
    if kind == "int" and pa.types.is_integer(arrow_type):
        return f"CAST({col} AS BIGINT)"
    if kind == "bool" and pa.types.is_boolean(arrow_type):
        return col
    return None


def text_sql(kind: str, t: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """SQL for a value parsed from its cleaned text `t` (types id, text, address, datetime, date, birthday,
    amount, int, bool; maps are looked up by the parser)."""
    if kind == "id":
        return id_sql(t)
    if kind in ("text", "address"):
        return t
    if kind == "datetime":
        return datetime_sql(t, timezone)
    if kind in ("date", "birthday"):
        return date_sql(t, timezone)
    if kind == "amount":
        return amount_sql(t)
    if kind == "int":
        return int_sql(t)
    if kind == "bool":
        return bool_sql(t)
    raise ValueError(f"unknown field type {kind!r}")
