"""How personal data is masked in everything meant for people (DOMAIN.md "Masked phone", "Masked name").

- Phone: an 11-digit mobile shows its first 3 and last 4 digits (138****5678; one a platform exported masked that
  way stays as it is); any other length shows only its last 2 digits, every other character starred (a 7-digit
  number must not show 7 of 7 digits).
- Name: the first character, the rest starred (王丽华 → 王**); a one-character name is all starred.
- Address: the detail line is starred whole (province, city and district are separate, unmasked columns).
- Email: the first character of the local part, then ***, then the domain.
- Free text (chat messages): the mobiles, e-mails and ID card numbers inside it masked as above (an ID card shows
  only its last 4 characters), every other character left as typed, so the message stays readable.
- Free text about a known person (`mask_message`): also that person's own names and address details wherever they
  occur. A full name is masked like a name (王丽华 → 王**); a Chinese given name said alone (丽华) is starred whole.
  An address detail line is cut at its numbers (人民路123号 / 阳光花园12栋 / 3单元 / 1201室): the line, each
  piece, its name part (人民路, 阳光花园) and its numbered part (123号) are starred whole. Parts shorter than 2
  characters, and names a platform already masked (张**), are left alone: one character is not an identifier.

The SQL forms mask inside the engine, before a row leaves it; tests check they agree with the Python forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from siyu.domain.zh_phones import national_digits

_MOBILE = re.compile(r"^1\d{2}(\d{4}|\*{4})\d{4}$")  # a mobile, or one the platform already masked: 138****5678


def mask_phone(phone: str | None) -> str | None:
    if phone is None:
        return None
    text = str(phone)
    if _MOBILE.fullmatch(text):
        return text[:3] + "****" + text[-4:]
    if len(text) <= 2:
        return "*" * len(text)
    return "*" * (len(text) - 2) + text[-2:]


def mask_name(name: str | None) -> str | None:
    if name is None:
        return None
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


def mask_address(address: str | None) -> str | None:
    return None if address is None else "****"


def mask_email(email: str | None) -> str | None:
    if email is None:
        return None
    local, at, domain = email.partition("@")
    return (local[:1] + "***" + at + domain) if at else mask_name(email)


def mask_profile(row: Mapping[str, Any]) -> dict[str, Any]:
    """A profile row as people see it unless a role unmasks: name and phone masked, the full date of birth
    withheld (its month stays in `birthday_month`, for greetings). The one list of a profile's PII columns, for
    the 360 view and for anything that writes profile fields into text people read (a journey task's draft)."""
    out = dict(row)
    for key, mask in (("name", mask_name), ("phone", mask_phone)):
        if key in out:
            out[key] = mask(out[key])
    if "birthday" in out:
        out["birthday"] = None
    return out


#: full-width digits and the marks around numbers folded one character for one, so a match's span in the folded
#: text is its span in the original (NFKC would also fold the message's own punctuation)
_FOLD = str.maketrans("０１２３４５６７８９＋－Ｘｘ＠．\u3000", "0123456789+-Xx@. ")
_ID_CARD = re.compile(  # 18: 6 region, birth date, 3 serial, check digit or X; the old 15: 6, yymmdd, 3
    r"(?<!\d)\d{6}(?:(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx]|\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3})(?![\dA-Za-z])",
    re.ASCII)
_MOBILE_IN_TEXT = re.compile(  # +86 / 0086 / 86 optional, 1[3-9] and 9 digits, grouped by a space or dash or not
    r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)", re.ASCII)
_EMAIL_IN_TEXT = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", re.ASCII)


def _mask_id_card(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


def _replace(text: str, pattern: re.Pattern[str], mask: Callable[[str], str]) -> str:
    """`text` with every match of `pattern` (found on the folded text) replaced by its mask."""
    out, last = [], 0
    for m in pattern.finditer(text.translate(_FOLD)):
        out += [text[last:m.start()], mask(m.group())]
        last = m.end()
    return "".join(out) + text[last:]


def mask_text(text: str | None) -> str | None:
    """Free text with the personal data people type into chats masked, the rest as typed. ID cards go first: their
    stars then keep the mobile pattern from reading a phone out of one."""
    if text is None:
        return None
    text = _replace(text, _ID_CARD, _mask_id_card)
    text = _replace(text, _MOBILE_IN_TEXT, lambda n: mask_phone(national_digits(n)) or "")
    return _replace(text, _EMAIL_IN_TEXT, lambda e: mask_email(e) or "")


_CJK = re.compile(r"^[\u3400-\u9fff]+$")
_ADDRESS_PIECE = re.compile(r"(\D*?)(\d+(?:号楼|号|栋|幢|座|单元|楼|层|室|弄|巷)?)")
_NUMBERED = re.compile(r"^\d+\D+$")  # 123号, 3单元: a bare number alone (1201) could be a price


def _name_masks(name: str) -> dict[str, str]:
    name = name.strip()
    if len(name) < 2 or "*" in name:
        return {}
    masks = {name: mask_name(name) or ""}
    if len(name) >= 3 and _CJK.match(name):
        masks[name[1:]] = "*" * (len(name) - 1)  # the given name, as friends and the customer write it
    return masks


def _address_masks(address: str) -> dict[str, str]:
    address = address.strip()
    if "*" in address:
        return {}
    pieces = {address}
    end = 0
    for m in _ADDRESS_PIECE.finditer(address):
        pieces |= {m.group(0).strip(), m.group(1).strip()}
        if _NUMBERED.match(m.group(2)):
            pieces.add(m.group(2))
        end = m.end()
    pieces.add(address[end:].strip())
    return {p: "*" * len(p) for p in pieces if len(p) >= 2}


def mask_known(text: str | None, names: Iterable[str | None], addresses: Iterable[str | None]) -> str | None:
    """`text` with a known person's own names and address details masked (the rule above), longest first."""
    if text is None:
        return None
    masks: dict[str, str] = {}
    for name in names:
        masks |= _name_masks(name) if name else {}
    for address in addresses:
        masks |= _address_masks(address) if address else {}
    if not masks:
        return text
    pattern = re.compile("|".join(re.escape(k) for k in sorted(masks, key=len, reverse=True)))
    return pattern.sub(lambda m: masks[m.group()], text)


def mask_message(text: str | None, names: Iterable[str | None] = (),
                 addresses: Iterable[str | None] = ()) -> str | None:
    """A chat message from or to a known person, for a reader who may not see it in full: the person's names and
    address details, and any mobile, e-mail or ID card, masked."""
    return mask_text(mask_known(text, names, addresses))


def masked_phone_sql(col: str) -> str:
    """`mask_phone` in SQL (DuckDB dialect)."""
    mobile = "'^1[0-9]{2}([0-9]{4}|[*]{4})[0-9]{4}$'"  # with the length test: Java's $ also matches before a \n
    return (f"CASE WHEN {col} IS NULL THEN NULL "
            f"WHEN length({col}) = 11 AND regexp_matches({col}, {mobile}) "
            f"THEN substr({col}, 1, 3) || '****' || right({col}, 4) "
            f"WHEN length({col}) <= 2 THEN repeat('*', length({col})) "
            f"ELSE repeat('*', length({col}) - 2) || right({col}, 2) END")


def masked_name_sql(col: str) -> str:
    """`mask_name` in SQL (DuckDB dialect)."""
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN length({col}) <= 1 THEN repeat('*', length({col})) "
            f"ELSE substr({col}, 1, 1) || repeat('*', length({col}) - 1) END")


def masked_address_sql(col: str) -> str:
    """`mask_address` in SQL."""
    return f"CASE WHEN {col} IS NULL THEN NULL ELSE '****' END"
