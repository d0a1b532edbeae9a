"""Recognise what each column of an unknown table of people holds: by its name and by its values, with a
confidence.

The roles decide how a column is cleaned and compared. Names are matched in English and Chinese, with
the usual spellings (first_name, given, fname, 名; surname, last_name, family, 姓 …). The values then confirm
the name (most of a `surname` column is one word, most of a `birth` column dates) or overrule it: a column named
like a surname whose values are mostly two words (first name and surname) is read as a full name. A role that
rests on little (values overruling a name, a value share short of sure, two columns wanting one role) has a low
confidence and is reported in one line; `--column NAME=ROLE` settles it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from siyu.errors import UserError

ROLES = ["given_name", "surname", "full_name", "dob", "email", "phone", "postcode", "city", "district",
         "street_number", "address", "state", "gender", "occupation", "national_id", "member_no", "category", "text",
         "ignore"]
#: roles several columns may hold at once (the others go to one column each)
SHARED_ROLES = ("address", "text", "category", "ignore")
#: below this confidence a role is reported to the user
LOW = 0.7

# order matters: the first pattern that matches a normalised column name wins
_BY_NAME: list[tuple[str, str]] = [
    ("national_id", r"ssn|soc_?sec|national|passport|id_?card|id_?no|nric|身份证"),
    ("dob", r"dob|birth_?date|date_?of_?birth|birthday|bday|born|生日|出生"),
    ("email", r"e_?mail|邮箱"),
    ("phone", r"phone|mobile|cell|tel|手机|电话"),
    ("member_no", r"member_?(no|num|number|id|card)|loyalty|card_?(no|num|number)|会员|卡号"),
    ("full_name", r"(first|given|fore).*(sur|last|family)|full_?name"),
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


def role_by_values(column: pa.ChunkedArray | pa.Array) -> str:
    """A role from a sample of the values, when the name said nothing."""
    values = _sample(column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column]))
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


@dataclass(frozen=True)
class Recognised:
    """A column's role, how sure siyu is of it (0-1), and why, in words a user reads."""

    role: str
    confidence: float
    why: str


_ONE_WORD = "^([A-Za-z][A-Za-z'\\-]*\\.?|[\u4e00-\u9fff*]{1,3})$"
_TWO_WORDS = r"^[A-Za-z][A-Za-z'\-.]*( [A-Za-z][A-Za-z'\-.]*)+$"
#: what most values of a role look like; roles without an entry are not checked by their values
_FITS: dict[str, str] = {
    "email": _EMAIL, "dob": f"{_DATE[:-2]}|\\d{{4}})$", "phone": "^\\+?[0-9\\s\\-()*\uff10-\uff19]{7,20}$",
    "given_name": _ONE_WORD, "surname": _ONE_WORD, "full_name": f"{_TWO_WORDS}|{_NAME_LIKE}",
    "postcode": r"^[0-9A-Za-z \-]{3,10}$", "national_id": r"^[0-9A-Za-z\-]{5,24}$",
    "street_number": r"^[0-9]+[A-Za-z]?$",
}


def _sample(column: pa.ChunkedArray) -> pa.Array:
    values = pc.utf8_trim_whitespace(pc.drop_null(column).cast(pa.string())).combine_chunks()[:2000]
    return values.filter(pc.not_equal(values, ""))


def _by_name(name: str, values: pa.Array) -> Recognised | None:
    """The role a column's name gives, confirmed or overruled by its values; None when the name says nothing."""
    role = role_by_name(name)
    if role is None:
        return None
    pattern = _FITS.get(role)
    if pattern is None or len(values) == 0:
        return Recognised(role, 0.8, "by its name")
    fit = _share(values, pattern)
    if fit >= 0.8:
        return Recognised(role, 0.95, f"by its name; {fit:.0%} of its values fit")
    if role in ("given_name", "surname") and _share(values, _TWO_WORDS) >= 0.6:
        share = _share(values, _TWO_WORDS)
        return Recognised("full_name", 0.6, f"named like {role}, but {share:.0%} of its values are two names")
    other = role_by_values(values)
    if other not in ("text", "category") and other != role:
        return Recognised(other, 0.6, f"named like {role}, but its values look like {other}")
    return Recognised(role, round(0.4 + 0.5 * fit, 2), f"by its name; only {fit:.0%} of its values fit")


def _by_values(values: pa.Array) -> Recognised:
    role = role_by_values(values)
    if role in ("text", "category"):
        return Recognised(role, 1.0, "compared as written")
    pattern = _FITS.get(role)
    fit = _share(values, pattern) if pattern else 0.8
    return Recognised(role, round(min(0.9, fit), 2), f"by its values ({fit:.0%} fit)")


def recognise_columns(table: pa.Table, skip: set[str],
                      given: dict[str, str] | None = None) -> dict[str, Recognised]:
    """Column → recognised role for every column but `skip`; `given` roles (the user's) are taken as they are.
    Each role but the shared ones goes to one column: a second column wanting it is compared as text, with a
    confidence low enough to be reported."""
    given = given or {}
    out: dict[str, Recognised] = {}
    taken: dict[str, str] = {role: col for col, role in given.items() if role not in SHARED_ROLES}
    for name in table.column_names:
        if name in skip:
            continue
        if name in given:
            out[name] = Recognised(given[name], 1.0, "given with --column")
            continue
        values = _sample(table.column(name))
        found = _by_name(name, values) or _by_values(values)
        if found.role in taken and found.role not in SHARED_ROLES:
            if found.confidence >= 0.8:  # the name says so too: not silently a second role, compared as text
                found = Recognised("text", 0.5, f"also looks like {found.role}, which {taken[found.role]!r} "
                                                f"holds; compared as written")
            else:
                again = _by_values(values)
                found = again if again.role not in taken or again.role in SHARED_ROLES else Recognised(
                    "text", 1.0, "compared as written")
        out[name] = found
        if found.role not in SHARED_ROLES:
            taken.setdefault(found.role, name)
    return out


def recognise(table: pa.Table, skip: set[str]) -> dict[str, str]:
    """Column → role for every column but `skip`; each of the name roles is given at most once."""
    return {col: r.role for col, r in recognise_columns(table, skip).items()}


def parse_overrides(pairs: list[str], columns: list[str], source: str) -> dict[str, str]:
    """`NAME=ROLE` strings (from `--column`) as a dict; one line naming the mistake otherwise."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, role = pair.rpartition("=")
        if not sep or not name:
            raise UserError(f"--column {pair!r}: write NAME=ROLE, e.g. --column 'family=surname'")
        if name not in columns:
            raise UserError(f"--column {pair!r}: {source} has no column {name!r}; columns: {', '.join(columns)}")
        if role not in ROLES:
            raise UserError(f"--column {pair!r}: no role {role!r}; roles: {', '.join(ROLES)}")
        out[name] = role
    return out
