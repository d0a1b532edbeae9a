"""Vectorised string building (pyarrow compute over whole columns): ids, names, masks, timestamps.

The generator makes millions of strings; building them row by row in Python would take minutes, so every
helper here works on whole numpy/Arrow columns.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_ALNUM = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string columns and literals (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def ints(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as text, zero-padded to `width`."""
    text = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def pick(words: list[str], index: np.ndarray) -> pa.Array:
    """`words[index]` as an Arrow string column."""
    return pa.array(words, pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def random_tokens(rng: np.random.Generator, n: int, length: int, alphabet: str = "alnum") -> pa.Array:
    """`n` random tokens of `length` characters (ids like openids or Taobao nick suffixes)."""
    chars = _B64 if alphabet == "b64" else _ALNUM
    codes = chars[rng.integers(0, len(chars), size=(n, length))]
    raw = np.ascontiguousarray(codes).view(f"S{length}").ravel()
    return pa.array(raw, pa.binary(length)).cast(pa.string())


def with_nulls(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """`values` with nulls where `mask` is true (fields an export left empty)."""
    return pc.if_else(pa.array(mask), pa.nulls(len(values), values.type), values)


def mask_phone(phone: pa.Array) -> pa.Array:
    """13812345678 → 138****5678, as Tmall, Douyin and JD export it."""
    return concat(pc.utf8_slice_codeunits(phone, 0, 3), "****", pc.utf8_slice_codeunits(phone, 7, 11))


def mask_name_tail(surname: pa.Array, given_len: np.ndarray) -> pa.Array:
    """张三丰 → 张** (Tmall/Douyin): the surname kept, every other character a star."""
    stars = pick(["*", "**", "***"], np.clip(given_len, 1, 3) - 1)
    return concat(surname, stars)


def mask_name_middle(name: pa.Array) -> pa.Array:
    """张三丰 → 张*丰, 张三 → 张* (JD): first and last character kept when there are three or more."""
    length = pc.utf8_length(name)
    first = pc.utf8_slice_codeunits(name, 0, 1)
    last = pc.utf8_slice_codeunits(name, -1, 2**31 - 1)
    long_form = concat(first, "*", last)
    short_form = concat(first, "*")
    return pc.if_else(pc.greater_equal(length, 3), long_form, short_form)


def timestamps(start: dt.date, days: np.ndarray) -> pa.Array:
    """Fractional days since `start` → naive timestamps (microseconds, rounded to the second)."""
    base = np.datetime64(start.isoformat(), "s").astype("datetime64[us]")
    secs = np.round(np.asarray(days, dtype=np.float64) * 86400.0).astype(np.int64)
    return pa.array(base + secs.astype("timedelta64[s]"), pa.timestamp("us"))


def dates(start: dt.date, days: np.ndarray) -> pa.Array:
    base = np.datetime64(start.isoformat(), "D")
    return pa.array(base + np.floor(days).astype(np.int64).astype("timedelta64[D]"), pa.date32())


def money(values: np.ndarray) -> pa.Array:
    """Yuan amounts rounded to the fen, as DECIMAL(18,2) (built from the 128-bit fen integers directly)."""
    cents = np.round(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())])
