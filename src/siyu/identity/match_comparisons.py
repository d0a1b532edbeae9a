"""The Splink model for channel identities: what is compared, how finely, and how pairs are blocked.

Comparisons are written as Splink comparison dicts with SQL conditions (DuckDB dialect) so every rule is
readable here. Splink estimates how much each level weighs from the data itself (u by random sampling,
m by expectation maximisation): no labels needed.
"""

from __future__ import annotations

from typing import Any

from siyu.errors import UserError

#: Columns of `tmp_identity_features` the model reads.
COLUMNS = ["unique_id", "name", "name_masked", "name_pinyin", "name_first", "name_last", "phone", "phone_prefix",
           "phone_suffix", "phone_masked", "email", "nickname", "gender", "birthday", "province", "city",
           "district", "address_rest", "address_key", "store_city", "store_district"]


def _level(
    sql: str, label: str, m: float | None = None, *, null: bool = False, tf: str | None = None
) -> dict[str, Any]:
    """A comparison level; `m` is a starting value EM refines (and what stays if EM cannot train it)."""
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if null:
        level["is_null_level"] = True
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _comparison(name: str, levels: list[dict[str, Any]], m_else: float) -> dict[str, Any]:
    return {"output_column_name": name, "comparison_description": name,
            "comparison_levels": [*levels, _level("ELSE", "all other", m_else)]}


#: one side shows only a surname (张**, 李*波, 张姐) and it, or the character a mask left, is not the other's
_PARTIAL_CONTRADICTS = ("(name_masked_l OR name_masked_r) AND (name_first_l <> name_first_r "
                        "OR name_last_l <> name_last_r)")

# names as siyu.domain.zh_names reads them (match_names): surname and last character in pinyin
NAME = _comparison("name", [
    _level("coalesce(name_pinyin_l, name_first_l) IS NULL OR coalesce(name_pinyin_r, name_first_r) IS NULL",
           "null", null=True),
    _level(_PARTIAL_CONTRADICTS, "masked, other surname or character", 0.01),
    # 张** is compatible with 张三: the surname is all a masked name still says; 李*波 also its last character
    _level("(name_masked_l OR name_masked_r) AND name_first_l = name_first_r AND name_last_l = name_last_r",
           "masked, same surname and last character", 0.15),
    _level("(name_masked_l OR name_masked_r) AND name_first_l = name_first_r", "masked, same surname", 0.3),
    _level("(name_masked_l OR name_masked_r)", "masked, surname unknown", 0.02),
    _level("name_l = name_r", "exact", 0.45, tf="name"),
    # homophone typo: 张伟 / 张炜 sound the same; gaojinting is 高金婷
    _level("name_pinyin_l = name_pinyin_r", "same pinyin", 0.05),
    # one character differs (张伟 / 章伟), or a Latin-script typo
    _level("jaro_winkler_similarity(name_pinyin_l, name_pinyin_r) >= 0.92 "
           "OR (length(name_l) = length(name_r) AND length(name_l) >= 3 AND levenshtein(name_l, name_r) = 1)",
           "one character or close pinyin", 0.1),
], m_else=0.08)

PHONE = _comparison("phone", [
    _level("phone_suffix_l IS NULL OR phone_suffix_r IS NULL", "null", null=True),
    _level("phone_l = phone_r", "same full number", 0.5),
    # 138****5678 ~ 13812345678 ~ 138****5678; two different full numbers are not compatible
    _level("phone_prefix_l = phone_prefix_r AND phone_suffix_l = phone_suffix_r AND (phone_masked_l OR phone_masked_r)",
           "masked, compatible", 0.45),
], m_else=0.05)

BIRTHDAY = _comparison("birthday", [
    _level("birthday_l IS NULL OR birthday_r IS NULL", "null", null=True),
    _level("birthday_l = birthday_r", "exact", 0.9, tf="birthday"),
    _level("year(birthday_l) = year(birthday_r) AND ((month(birthday_l) = day(birthday_r) AND "
           "day(birthday_l) = month(birthday_r)) OR (month(birthday_l) = 1 AND day(birthday_l) = 1) OR "
           "(month(birthday_r) = 1 AND day(birthday_r) = 1))", "same year; swapped or year only", 0.04),
    _level("month(birthday_l) = month(birthday_r) AND day(birthday_l) = day(birthday_r)", "same day, other year", 0.02),
], m_else=0.04)

EMAIL = _comparison("email", [
    _level("email_l IS NULL OR email_r IS NULL", "null", null=True),
    _level("email_l = email_r", "exact", 0.8),
    _level("split_part(email_l, '@', 1) = split_part(email_r, '@', 1)", "same user name", 0.1),
    _level("jaro_winkler_similarity(email_l, email_r) >= 0.9", "close", 0.05),
], m_else=0.05)

NICKNAME = _comparison("nickname", [
    _level("nickname_l IS NULL OR nickname_r IS NULL", "null", null=True),
    _level("nickname_l = nickname_r", "exact", 0.6, tf="nickname"),
    _level("jaro_winkler_similarity(lower(nickname_l), lower(nickname_r)) >= 0.9", "close", 0.05),
], m_else=0.35)

ADDRESS = _comparison("address", [
    _level("coalesce(district_l, city_l, province_l) IS NULL OR coalesce(district_r, city_r, province_r) IS NULL",
           "null", null=True),
    _level("district_l = district_r AND address_rest_l = address_rest_r", "same street address", 0.6),
    _level("district_l = district_r AND jaro_winkler_similarity(address_rest_l, address_rest_r) >= 0.9",
           "same district, close address", 0.15),
    _level("district_l = district_r AND city_l = city_r", "same district", 0.1),
    _level("city_l = city_r", "same city", 0.08),
    _level("province_l = province_r", "same province", 0.04),
], m_else=0.03)


def _shop_matches(part: str) -> str:
    """One side's store lies in the other side's home area (or both shop in the same area)."""
    return (f"(store_{part}_l = coalesce({part}_r, store_{part}_r) AND store_city_l = coalesce(city_r, store_city_r)) "
            f"OR (store_{part}_r = coalesce({part}_l, store_{part}_l) "
            f"AND store_city_r = coalesce(city_l, store_city_l))")


# where a store buyer (or a store guide's WeCom friend) shops says roughly where they live
STORE_AREA = _comparison("store_area", [
    _level("(store_city_l IS NULL AND store_city_r IS NULL) OR coalesce(city_l, store_city_l) IS NULL "
           "OR coalesce(city_r, store_city_r) IS NULL", "null", null=True),
    _level(_shop_matches("district"), "store in the same district", 0.15),
    _level(_shop_matches("city"), "store in the same city", 0.4),
], m_else=0.45)

GENDER = _comparison("gender", [
    _level("gender_l IS NULL OR gender_r IS NULL", "null", null=True),
    _level("gender_l = gender_r", "same", 0.97),
], m_else=0.03)

COMPARISONS = [NAME, PHONE, BIRTHDAY, EMAIL, NICKNAME, ADDRESS, STORE_AREA, GENDER]


def blocking_sql(columns: list[str]) -> str:
    """A blocking rule: the columns are equal and not NULL on both sides."""
    return " AND ".join(f"l.{c} = r.{c}" for c in columns)


def splink_settings(blocking: list[list[str]]) -> dict[str, Any]:
    """The Splink settings dict for deduplicating identities."""
    unknown = sorted({c for rule in blocking for c in rule} - set(COLUMNS))
    if unknown:
        raise UserError(
            f"siyu.toml [identity] blocking: unknown column(s) {', '.join(unknown)}; use {', '.join(COLUMNS[1:])}"
        )
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": [blocking_sql(r) for r in blocking],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "max_iterations": 20,
    }


#: EM sessions: each blocks on something, so trains the comparisons it does not block on.
#: Each is selective (a few million pairs at 1M persons: EM's cost grows with the pairs it scores).
TRAINING_BLOCKS = [
    ["name_pinyin", "city"],
    ["phone_suffix", "name_first", "province"],
    ["address_key"],
]

#: Rules that admit almost no false positive, to estimate how often two random identities match.
DETERMINISTIC_RULES = [
    "l.phone_prefix = r.phone_prefix AND l.phone_suffix = r.phone_suffix AND l.name_first = r.name_first",
    "l.name = r.name AND l.birthday = r.birthday AND l.district = r.district",
]
