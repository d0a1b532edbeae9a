"""Recognise what each column of an unknown table of people holds: by its name first, else by its values.

The roles decide how a column is cleaned and compared. Names are matched in English and Chinese, with
the usual spellings (first_name, given, fname, 名; surname, last_name, family, 姓 …).
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

ROLES = ["given_name", "surname", "full_name", "dob", "email", "phone", "postcode", "city", "district",
         "street_number", "address", "state", "gender", "occupation", "national_id", "member_no", "category", "text"]

# order matters: the first pattern that matches a normalised column name wins
_BY_NAME: list[tuple[str, str]] = [
    ("national_id", r"ssn|soc_?sec|national|passport|id_?card|id_?no|nric|身份证"),
    ("dob", r"dob|birth_?date|date_?of_?birth|birthday|bday|born|生日|出生"),
    ("email", r"e_?mail|邮箱"),
    ("phone", r"phone|mobile|cell|tel|手机|电话"),
    ("member_no", r"member_?(no|num|number|id|card)|loyalty|card_?(no|num|number)|会员|卡号"),
    ("postcode", r"post_?code|postal|zip|邮编"),
    ("street_number", r"street_?(no|num|number)|house_?(no|num|number)|门牌"),
    ("given_name", r"given|first_?name|fore_?name|fname|christian|^first$|^名$"),
    ("surname", r"surname|last_?name|family_?name|lname|^last$|^姓$"),
    ("full_name", r"^name$|full_?name|person_?name|^姓名$|customer_?name"),
    ("city", r"city|suburb|town|locality|birth_?place|place_?of_?birth|城市|市$"),
    ("district", r"district|^区$|区县|^县$"),
    ("state", r"state|province|county|region|省"),
    ("address", r"address|street|addr|road|ship_?to|地址"),
    ("gender", r"gender|^sex$|性别"),
    ("occupation", r"occupation|job|profession|职业"),
]

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_DATE = r"^(\d{8}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})$"
# a Chinese name, masked name or short form of 1-6 characters (no digits), or a pinyin/Latin name of two words
_NAME_LIKE = "^([\u4e00-\u9fff][\u4e00-\u9fff* ]{0,5}|[A-Za-z]+ [A-Za-z]+)$"
_GENDERS = {"m", "f", "male", "female", "man", "woman", "男", "女", "u", "unknown"}


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z_\u4e00-\u9fff]+", "_", name.strip().lower()).strip("_")


def role_by_name(name: str) -> str | None:
    n = _norm(name)
    for role, pattern in _BY_NAME:
        if re.search(pattern, n):
            return role
    return None


def _share(values: pa.Array, pattern: str) -> float:
    if len(values) == 0:
        return 0.0
    return float(pc.sum(pc.match_substring_regex(values, pattern)).as_py() or 0) / len(values)


def role_by_values(column: pa.ChunkedArray) -> str:
    """A role from a sample of the values, when the name said nothing."""
    values = pc.utf8_trim_whitespace(pc.drop_null(column).cast(pa.string())).combine_chunks()[:2000]
    values = values.filter(pc.not_equal(values, ""))
    if len(values) == 0:
        return "text"
    if _share(values, _EMAIL) > 0.8:
        return "email"
    if _share(values, _DATE) > 0.8:
        return "dob"
    if _share(values, r"^\+?[\d\s\-()]{10,16}$") > 0.8:
        return "phone"
    if set(pc.utf8_lower(pc.unique(values)).to_pylist()) <= _GENDERS:
        return "gender"
    if _share(values, "^[\u4e00-\u9fff]{1,8}(区|县|旗)$") > 0.8:
        return "district"
    if _share(values, "[\u4e00-\u9fff]{2,}.*[0-9]+.*(号|室|栋|楼|弄)") > 0.5:
        return "address"
    distinct = len(pc.unique(values))
    if distinct <= 60:
        return "category"
    return "full_name" if _share(values, _NAME_LIKE) > 0.6 else "text"


def recognise(table: pa.Table, skip: set[str]) -> dict[str, str]:
    """Column → role for every column but `skip`; each of the name roles is given at most once."""
    roles: dict[str, str] = {}
    taken: set[str] = set()
    for name in table.column_names:
        if name in skip:
            continue
        role = role_by_name(name)
        if role is None or (role in taken and role not in ("address", "text", "category")):
            role = role_by_values(table.column(name))
            if role in taken and role not in ("address", "text", "category"):
                role = "text"
        roles[name] = role
        taken.add(role)
    return roles
