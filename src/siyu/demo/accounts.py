"""Each person's ids on each channel, shaped like the real ones (Taobao nick, JD pin, Douyin buyer id,
WeChat openid/unionid, WeCom external_userid, store member card) and guaranteed unique across persons.

The digits are drawn at random for each kind of id, independently: nothing in one id says anything about the
person's index or their ids elsewhere, so a matcher can only link identities by the evidence the exports show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.demo.persons import Persons
from siyu.demo.text import concat, ints, random_tokens

_PRIME = 982_451_653  # coprime with 10**k: i ↦ (i·p + salt) mod 10**k is a bijection, so ids never collide


def scramble(i: np.ndarray, salt: int, digits: int = 9) -> np.ndarray:
    """Distinct-looking, collision-free numbers for distinct i < 10**digits."""
    mod = 10**digits
    return ((np.asarray(i, dtype=np.int64) + 104_729) % mod * _PRIME + salt) % mod


@dataclass
class Accounts:
    tmall: tuple[pa.Array, pa.Array]  # first and second Taobao account
    jd: pa.Array
    douyin: tuple[pa.Array, pa.Array]
    openid: pa.Array
    unionid: pa.Array
    external_userid: pa.Array
    member_no: pa.Array


def unique_numbers(rng: np.random.Generator, n: int, digits: int) -> np.ndarray:
    """n distinct random numbers below 10**digits (drawn again where two collide), in random order."""
    mod = 10**digits
    out = rng.integers(mod // 10, mod, n, dtype=np.int64)
    while True:
        _, first = np.unique(out, return_index=True)
        repeat = np.setdiff1d(np.arange(n), first)
        if not len(repeat):
            return out
        out[repeat] = rng.integers(mod // 10, mod, len(repeat), dtype=np.int64)


def make_accounts(persons: Persons, rng: np.random.Generator) -> Accounts:
    n = persons.n

    def num(digits: int) -> pa.Array:
        return ints(unique_numbers(rng, n, digits), digits)

    nick_style = rng.random(n) < 0.5
    tmall0 = pc.if_else(pa.array(nick_style), concat(persons.nickname, "_", num(9)), concat("tb", num(10)))
    return Accounts(
        tmall=(tmall0, concat("tb", num(10))),
        jd=concat("jd_", random_tokens(rng, n, 4), num(9)),
        douyin=(concat("DY", num(12)), concat("DY", num(12))),
        openid=concat("oQx5", random_tokens(rng, n, 14, "b64"), num(10)),
        unionid=concat("oU7b", random_tokens(rng, n, 14, "b64"), num(10)),
        external_userid=concat("wmA1", random_tokens(rng, n, 16, "b64"), num(10)),
        member_no=concat("8800", num(9)),
    )
