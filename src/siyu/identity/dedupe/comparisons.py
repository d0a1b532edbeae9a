"""A Splink model configured from whatever standard columns a file turned out to have (no hand-written
settings): comparisons with levels for the usual ways records of one person differ, several blocking rules
so a pair is found even when one key is missing or misspelt, and term-frequency adjustments so a common
surname or birth date weighs less than a rare one.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from siyu.domain.zh_names import COMMON_SURNAMES
from siyu.engine.local import arrow_sql
from siyu.engine.quote import literal_list
from siyu.identity.match_comparisons import blocking_sql


def _lv(sql: str, label: str, m: float | None = None, tf: str | None = None, null: bool = False) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if tf:
        level["tf_adjustment_column"], level["tf_adjustment_weight"] = tf, 1.0
    if null:
        level["is_null_level"] = True
    return level


def _cmp(name: str, levels: list[dict[str, Any]], m_else: float = 0.05) -> dict[str, Any]:
    return {"output_column_name": name, "comparison_description": name,
            "comparison_levels": [_lv(f"{levels[0]['sql_condition']}", "null", null=True), *levels[1:],
                                  _lv("ELSE", "all other", m_else)]}


def _null(*cols: str) -> dict[str, Any]:
    return {"sql_condition": " OR ".join(f"{c}_l IS NULL OR {c}_r IS NULL" for c in cols)}


def _jw(col: str, at: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {at}"



def _name_part(name: str, other: str, other_label: str, cols: set[str]) -> dict[str, Any]:
    """Given name or surname: exact, nickname (where a canonical form exists), swapped with the other part,
    close, sounds alike, similar."""
    levels = [_null(name), _lv(f"{name}_l = {name}_r", "exact", 0.8, tf=name)]
    if f"{name}_canon" in cols:
        levels.append(_lv(f"{name}_canon_l = {name}_canon_r", "nickname", 0.03))
    if other in cols:
        levels.append(_lv("given_l = surname_r AND surname_l = given_r", f"swapped with {other_label}", 0.01))
    levels.append(_lv(_jw(name, 0.92), "close", 0.08))
    if f"{name}_sx" in cols:
        levels.append(_lv(f"{name}_sx_l = {name}_sx_r", "sounds alike", 0.02))
    levels.append(_lv(_jw(name, 0.8), "similar", 0.03))
    return _cmp(name, levels)

def comparisons(cols: set[str]) -> list[dict[str, Any]]:
    """One comparison per standard column present; a level only when the columns it reads are present."""
    out: list[dict[str, Any]] = []
    for name, other, label in (("given", "surname", "surname"), ("surname", "given", "given name")):
        if name in cols:
            out.append(_name_part(name, other, label, cols))
    if "dob_str" in cols:
        levels = [_null("dob_str"), _lv("dob_str_l = dob_str_r", "exact", 0.8, tf="dob_str")]
        if "dob" in cols:  # some dates parse
            levels += [
                _lv("dob_l = dob_r", "same date, other format", 0.02),
                _lv("year(dob_l) = year(dob_r) AND month(dob_l) = day(dob_r) AND day(dob_l) = month(dob_r)",
                    "day and month swapped", 0.02),
                _lv("year(dob_l) = year(dob_r) AND ((month(dob_l) = 1 AND day(dob_l) = 1) OR "
                    "(month(dob_r) = 1 AND day(dob_r) = 1))", "year only (1 January)", 0.02),
            ]
        levels.append(_lv("damerau_levenshtein(dob_str_l, dob_str_r) <= 1", "one digit off", 0.08))
        if "dob" in cols:
            levels.append(_lv("abs(year(dob_l) - year(dob_r)) <= 1 AND month(dob_l) = month(dob_r)",
                              "within a year", 0.02))
        out.append(_cmp("dob", levels))
    if cols >= ZH_NAME:
        out.append(chinese_name())
    if "email" in cols:
        out.append(_cmp("email", [_null("email"), _lv("email_l = email_r", "exact", 0.8),
                                  _lv("split_part(email_l, '@', 1) = split_part(email_r, '@', 1)", "same user", 0.1),
                                  _lv(_jw("email", 0.9), "close", 0.05)]))
    if "phone" in cols or "phone_suffix" in cols:
        out.append(phone(cols))
    for col, tf in (("postcode", True), ("city", True), ("district", True), ("state", False),
                    ("street_number", False), ("member_no", True)):
        if col in cols:
            levels = [_null(col), _lv(f"{col}_l = {col}_r", "exact", 0.8, tf=col if tf else None)]
            if col in ("postcode", "street_number"):
                levels.append(_lv(f"damerau_levenshtein({col}_l, {col}_r) <= 1", "one character off", 0.1))
            elif col == "city":
                levels.append(_lv(_jw(col, 0.9), "close", 0.1))
            out.append(_cmp(col, levels, 0.1))
    if "address" in cols:
        neighbours = "address_base_l = address_base_r AND address_flat_l <> address_flat_r"
        flat = [_lv(neighbours, "one building, another flat (neighbours)", 0.01)] if {
            "address_base", "address_flat"} <= cols else []
        out.append(_cmp("address", [
            _null("address"), _lv("address_l = address_r", "exact", 0.7), *flat,
            _lv(_jw("address", 0.9), "close", 0.15),
            _lv(_jw("address", 0.75), "similar", 0.05),
        ], 0.1))
    if "national_id" in cols:
        out.append(_cmp("national_id", [_null("national_id"), _lv("national_id_l = national_id_r", "exact", 0.85),
                                        _lv("damerau_levenshtein(national_id_l, national_id_r) <= 1",
                                            "one character off", 0.1)]))
    for col in ("gender", "occupation"):
        if col in cols:
            out.append(_cmp(col, [_null(col), _lv(f"{col}_l = {col}_r", "exact", 0.9)], 0.1))
    for col in sorted(c for c in cols if c.startswith(("category_", "text_"))):
        levels = [_null(col), _lv(f"{col}_l = {col}_r", "exact", 0.8)]
        if col.startswith("text_"):
            levels.append(_lv(_jw(col, 0.9), "close", 0.1))
        out.append(_cmp(col, levels, 0.1))
    return out


#: the columns a Chinese name comparison reads (a table whose names are all masked has no `zh_name`: none then)
ZH_NAME = {"zh_name", "zh_surname", "zh_surname_py", "zh_pinyin", "zh_partial"}


def chinese_name() -> dict[str, Any]:
    """A Chinese name, masked name, short form or pinyin (siyu.domain.zh_names): a visible surname alone can
    confirm (same surname) or refute (another surname), never match by itself."""
    some = "(zh_name_{s} IS NOT NULL OR zh_pinyin_{s} IS NOT NULL OR zh_surname_{s} IS NOT NULL)"
    same_surname = ("(zh_surname_l = zh_surname_r OR starts_with(zh_pinyin_l, zh_surname_py_r) "
                    "OR starts_with(zh_pinyin_r, zh_surname_py_l))")
    common = literal_list(COMMON_SURNAMES)
    return {"output_column_name": "zh_name", "comparison_description": "zh_name", "comparison_levels": [
        _lv(f"NOT {some.format(s='l')} OR NOT {some.format(s='r')}", "null", null=True),
        _lv("zh_name_l = zh_name_r", "exact", 0.6, tf="zh_name"),
        _lv("zh_pinyin_l = zh_pinyin_r", "same pinyin (homophone, or written in pinyin)", 0.15),
        _lv("(length(zh_name_l) = length(zh_name_r) AND length(zh_name_l) >= 3 AND levenshtein(zh_name_l, zh_name_r)"
            " = 1) OR jaro_winkler_similarity(zh_pinyin_l, zh_pinyin_r) >= 0.92", "one character off", 0.06),
        # a common surname agreeing says less (王 vs 岑): a level of its own, whose weight EM learns (Splink's term
        # frequencies adjust a level only against an exact level of the same column, which a surname has not)
        _lv(f"(zh_partial_l OR zh_partial_r) AND {same_surname} AND zh_surname_l IN {common}",
            "only a surname known, the same, a common one", 0.06),
        _lv(f"(zh_partial_l OR zh_partial_r) AND {same_surname}", "only a surname known, the same", 0.06),
        _lv("zh_partial_l OR zh_partial_r OR zh_pinyin_l IS NULL OR zh_pinyin_r IS NULL",
            "only a surname known, another", 0.02),
        _lv("ELSE", "all other", 0.05),
    ]}


def phone(cols: set[str]) -> dict[str, Any]:
    """Full numbers, and the 3 + 4 digits a platform's mask leaves (151****5091 ~ 15112345091); a table where no
    phone is full (or none is masked) has only the levels its columns allow."""
    full = "phone" in cols
    masked = {"phone_prefix", "phone_suffix", "phone_masked"} <= cols
    missing = " AND ".join(c + "_{s} IS NULL" for c in ("phone", "phone_suffix") if c in cols)
    levels = [{"sql_condition": f"({missing.format(s='l')}) OR ({missing.format(s='r')})"}]
    if full:
        # no term frequencies on a phone, e-mail or address: a person's own records make theirs look common (a
        # shop's number many names hold is no phone at all: chinese.unshare_phones)
        levels.append(_lv("phone_l = phone_r", "exact", 0.7))
    if masked:
        levels.append(_lv("(phone_masked_l OR phone_masked_r) AND phone_prefix_l = phone_prefix_r AND "
                          "phone_suffix_l = phone_suffix_r", "masked, compatible", 0.15))
    if full:
        levels += [_lv("right(phone_l, 8) = right(phone_r, 8)", "same last 8 digits", 0.03),
                   _lv("damerau_levenshtein(phone_l, phone_r) <= 1", "one digit off", 0.03)]
    return _cmp("phone", levels)


CANDIDATE_BLOCKS = [
    ["given_canon", "surname"], ["surname_sx", "dob_str"], ["given_sx", "dob_str"], ["name_sorted"],
    ["postcode", "surname_sx"], ["postcode", "given_canon"], ["national_id"], ["email"], ["phone"],
    ["city", "dob_str"], ["street_number", "postcode"], ["street_number", "dob_str"], ["address", "given_sx"],
    ["surname_sx", "address"],
    ["zh_pinyin"], ["zh_surname", "phone_prefix", "phone_suffix"], ["zh_surname", "address"],
    ["phone_prefix", "phone_suffix", "district"], ["zh_pinyin", "city"], ["member_no"], ["address", "district"],
]


def blocked_pairs(table: pa.Table, rule: list[str]) -> int:
    """How many pairs a blocking rule would generate (to drop rules that would explode)."""
    cols = ", ".join(rule)
    nonnull = " AND ".join(f"{c} IS NOT NULL" for c in rule)
    sql = (f"SELECT coalesce(sum(n * (n - 1) / 2), 0) AS p "
           f"FROM (SELECT count(*) AS n FROM t WHERE {nonnull} GROUP BY {cols}) q")
    return int(arrow_sql(sql, t=table.select(rule)).column("p")[0].as_py())


def choose_blocks(table: pa.Table, budget: int) -> list[list[str]]:
    """The candidate rules whose columns exist and whose pairs stay within the budget."""
    cols = set(table.column_names)
    return [r for r in CANDIDATE_BLOCKS if set(r) <= cols and blocked_pairs(table, r) <= budget]


def settings(table: pa.Table, blocks: list[list[str]]) -> dict[str, Any]:
    """The Splink settings; the prior (used only when no deterministic rule can estimate it) assumes one
    record in four has a duplicate."""
    n = max(2, table.num_rows)
    return {
        "link_type": "dedupe_only", "unique_id_column_name": "unique_id",
        "comparisons": comparisons(set(table.column_names)),
        "blocking_rules_to_generate_predictions": [blocking_sql(b) for b in blocks],
        "retain_matching_columns": False, "max_iterations": 20,
        "probability_two_random_records_match": min(0.5, 0.5 / (n - 1)),
    }


#: EM blocks in order of preference: EM learns every comparison but the block's own columns.
EM_BLOCKS = [["dob_str"], ["postcode"], ["surname_sx"], ["given_canon"], ["zh_pinyin"], ["surname"], ["city"],
             ["phone"]]
#: Rules that almost only pair records of one person, to estimate how often two records match.
STRICT_RULES = [["given_canon", "surname", "dob_str"], ["national_id", "surname"], ["email"],
                ["given", "surname", "postcode"], ["zh_name", "phone"], ["zh_name", "address"]]
#: For files with none of those columns (a CRM export of name, phone, city, address).
FALLBACK_STRICT_RULES = [["given", "surname", "phone"], ["given", "surname", "address"]]
#: EM needs pairs to learn from; fewer and a block teaches nothing.
EM_MIN_PAIRS = 10


def training(table: pa.Table, budget: int) -> tuple[list[list[str]], list[str]]:
    """The EM blocks that give EM pairs to learn from (within the budget), in order of preference (the model
    trains on the first two; later ones are the fallback when both fail), and the deterministic rules that
    estimate how often two records match."""
    cols = set(table.column_names)
    em = [b for b in EM_BLOCKS if set(b) <= cols and EM_MIN_PAIRS <= blocked_pairs(table, b) <= budget]
    strict = [b for b in STRICT_RULES if set(b) <= cols] or [b for b in FALLBACK_STRICT_RULES if set(b) <= cols]
    return em, [blocking_sql(b) for b in strict]
