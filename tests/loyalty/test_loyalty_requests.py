"""An idempotency key is bound to the first request made under it: the same request again is a replay, another
request under it is refused (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from siyu.loyalty import requests


def test_a_key_is_bound_to_its_first_request(ledger_db: Engine) -> None:
    asked = requests.fingerprint("redeem", "P1", {"points": 40, "reason": None})
    assert requests.claim(ledger_db, "k1", asked) is True
    assert requests.claim(ledger_db, "k1", asked) is False
    with pytest.raises(requests.KeyReused, match="k1"):
        requests.claim(ledger_db, "k1", requests.fingerprint("redeem", "P1", {"points": 41, "reason": None}))
    assert requests.claim(ledger_db, "k2", asked) is True  # another key, the same request: a new one


def test_the_fingerprint_is_the_operation_member_and_body() -> None:
    base = requests.fingerprint("redeem", "P1", {"points": 1, "reason": "x"})
    assert base == requests.fingerprint("redeem", "P1", {"reason": "x", "points": 1})
    assert base != requests.fingerprint("spend", "P1", {"points": 1, "reason": "x"})
    assert base != requests.fingerprint("redeem", "P2", {"points": 1, "reason": "x"})
