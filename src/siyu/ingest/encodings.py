"""Which text encoding an export file is in: decided from its bytes, never guessed, always reported.

Chinese exports come as UTF-8 (with or without a BOM), UTF-16 with a BOM (some spreadsheet "Unicode text"
exports), GB18030/GBK (mainland systems) or Big5 (Hong Kong and Taiwan systems). A file that is not valid
UTF-8 usually decodes *without error* as both GB18030 and Big5, so a strict decode alone cannot choose:
each candidate is scored by how plausible its text is, the share of its Chinese characters that are among
the common ones of that script (GB2312 level 1 for simplified, Big5's frequent block for traditional). Real
text scores high in its own encoding and low in the other; Latin-1 accents and random bytes score low in
both, and such a file is refused with a message that says to pass the encoding, never read as mojibake.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from siyu.errors import UserError

CANDIDATES = ("gb18030", "big5")
MIN_SCORE = 0.6  # share of common characters a plausible decoding reaches (real text: > 0.85)
MIN_MARGIN = 0.2  # how much the best candidate must beat the other
MIN_CHARS = 2  # Chinese characters needed to judge at all
_NEUTRAL = ((0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2000, 0x206F))  # punctuation, full-width forms


class EncodingError(UserError):
    """The file's encoding cannot be decided, or the file does not decode in the one given."""


@dataclass(frozen=True)
class Encoding:
    codec: str  # the Python codec the file is read with
    name: str  # what the report says: utf-8, utf-8-sig (with a BOM), utf-16, gb18030, big5, or the one given
    detected: bool  # False when the user named it


def check_codec(path: Path, codec: str) -> Encoding:
    """An encoding the user named (--encoding, [import] encoding, or the mapping's `encoding`)."""
    try:
        info = codecs.lookup(codec)
    except LookupError:
        raise EncodingError(
            f"{path}: unknown encoding {codec!r}; use one of utf-8, utf-8-sig, utf-16, gb18030, big5, latin-1"
        ) from None
    return Encoding(info.name, codec, detected=False)


def _is_common_gb(ch: str) -> bool:
    try:
        return 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def _is_common_big5(ch: str) -> bool:
    try:
        return 0xA4 <= ch.encode("big5")[0] <= 0xC6
    except UnicodeEncodeError:
        return False


_COMMON = {"gb18030": _is_common_gb, "big5": _is_common_big5}


def plausibility(text: str, codec: str) -> tuple[float, int]:
    """(share of the text's non-ASCII characters that are common Chinese characters of `codec`'s script,
    how many characters were judged); punctuation and full-width forms are left out."""
    judged = common = 0
    common_in = _COMMON[codec]
    for ch in text:
        code = ord(ch)
        if code < 0x80 or any(lo <= code <= hi for lo, hi in _NEUTRAL):
            continue
        judged += 1
        common += common_in(ch)
    return (common / judged if judged else 0.0), judged


def _strict(sample: bytes, codec: str) -> str | None:
    try:
        return codecs.getincrementaldecoder(codec)().decode(sample, final=False)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(sample: bytes) -> bool:
    """Most lines with non-ASCII bytes are UTF-8: a UTF-8 file with a few lines pasted in from elsewhere."""
    lines = [line for line in sample.split(b"\n")[:-1] if not line.isascii()]
    good = sum(_strict(line, "utf-8") is not None for line in lines)
    return bool(lines) and good * 2 > len(lines)


def detect(path: Path, sample: bytes, *, lenient_lines: bool = False) -> Encoding:
    """The encoding of a file starting with `sample`. `lenient_lines`: the reader can set undecodable lines aside
    (JSON Lines), so a UTF-8 file with some foreign lines is read as UTF-8 and those lines go to the quarantine."""
    if sample.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", "utf-8-sig", detected=True)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", "utf-16", detected=True)
    if _strict(sample, "utf-8") is not None or (lenient_lines and _mostly_utf8(sample)):
        return Encoding("utf-8", "utf-8", detected=True)
    scores: dict[str, tuple[float, int]] = {}
    for codec in CANDIDATES:
        text = _strict(sample, codec)
        if text is not None:
            scores[codec] = plausibility(text, codec)
    hint = "pass --encoding (or `encoding` in the mapping) with the file's encoding (gb18030, big5, latin-1 …)"
    if not scores:
        raise EncodingError(f"{path}: the file is not UTF-8, GB18030 or Big5 text; {hint}")
    ranked = sorted(scores.items(), key=lambda kv: kv[1][0], reverse=True)
    best, (score, judged) = ranked[0]
    runner_up = ranked[1][1][0] if len(ranked) > 1 else 0.0
    if judged < MIN_CHARS or score < MIN_SCORE or score - runner_up < MIN_MARGIN:
        shown = ", ".join(f"{c} {s:.0%} common characters" for c, (s, _) in ranked)
        raise EncodingError(f"{path}: cannot tell the file's encoding (not UTF-8; read as {shown}); {hint}")
    return Encoding(best, best, detected=True)
