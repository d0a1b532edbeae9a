"""Text as Chinese exports write it: full-width forms and stray spaces (one rule for `siyu dedupe` and OneID).

A phone typed on a Chinese keyboard in full-width mode (１３８…) is the same number; NFKC folds full-width
letters, digits and punctuation to their ASCII forms. SQL engines have no NFKC, so the SQL form translates the
characters exports actually carry (full-width digits, letters, +, -, *, @, ., spaces, brackets).
"""

from __future__ import annotations

import unicodedata

_WIDE = "".join(chr(0xFF00 + ord(c) - 0x20) for c in "0123456789+-*@.()") + "\u3000" + "".join(
    chr(0xFF00 + ord(c) - 0x20) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NARROW = "0123456789+-*@.() ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
assert len(_WIDE) == len(_NARROW)


def nfkc(text: str | None) -> str | None:
    """NFKC-folded text (full-width → ASCII, compatibility forms → plain); None stays None."""
    return None if text is None else unicodedata.normalize("NFKC", text)


def narrow_sql(expr: str) -> str:
    """`expr` with full-width digits, letters and the punctuation of phones and e-mails made ASCII (portable SQL)."""
    return f"translate({expr}, '{_WIDE}', '{_NARROW}')"
