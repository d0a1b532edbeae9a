"""Each person's ids on each channel, shaped like the real ones (Taobao nick, JD pin, Douyin buyer id,
WeChat openid/unionid, WeCom external_userid, store member card) and guaranteed unique across persons."""

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


def make_accounts(persons: Persons, rng: np.random.Generator) -> Accounts:
    n = persons.n
    idx = np.arange(n)
    nick_style = rng.random(n) < 0.5
    tb_plain = concat("tb", ints(scramble(idx, 11, 10), 10))
    tb_named = concat(persons.nickname, "_", ints(scramble(idx, 29), 9))
    tmall0 = pc.if_else(pa.array(nick_style), tb_named, tb_plain)
    tmall1 = concat("tb", ints(scramble(idx + n, 11, 10), 10))
    return Accounts(
        tmall=(tmall0, tmall1),
        jd=concat("jd_", random_tokens(rng, n, 4), ints(scramble(idx, 37), 9)),
        douyin=(concat("DY", ints(scramble(idx, 41, 12), 12)), concat("DY", ints(scramble(idx + n, 41, 12), 12))),
        openid=concat("oQx5", random_tokens(rng, n, 14, "b64"), ints(scramble(idx, 53), 10)),
        unionid=concat("oU7b", random_tokens(rng, n, 14, "b64"), ints(scramble(idx, 59), 10)),
        external_userid=concat("wmA1", random_tokens(rng, n, 16, "b64"), ints(scramble(idx, 61), 10)),
        member_no=concat("8800", ints(scramble(idx, 67), 9)),
    )
