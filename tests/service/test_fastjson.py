"""The hot routes' encoder sends the bytes FastAPI itself would have sent for the same answer: clients see no
difference in dates, times, decimals, NaN, nesting or Chinese text."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Response
from fastapi.testclient import TestClient

from siyu.api.fastjson import fast_json
from siyu.api.pages import Page

ANSWER: dict[str, Any] = {
    "person_id": "P0000000001",
    "profile": {"name": "孙**", "net_spend": Decimal("12581.21"), "zero": Decimal("0.00"), "orders": 45,
                "return_rate": 0.0463, "interval": 6.0, "p_alive": math.nan, "as_of": dt.date(2026, 11, 1),
                "private_since": dt.datetime(2025, 12, 22, 14, 38, 5),
                "seen": dt.datetime(2025, 12, 22, 14, 38, 5, 120000), "next_coupon_expiry": None,
                "is_friend": True},
    "orders": [{"order_id": "T1", "amount_paid": Decimal("99.90"), "created_at": dt.datetime(2026, 1, 2, 3, 4, 5)}],
    "tags": [],
}


def test_fast_json_matches_fastapi_for_a_document_and_a_page() -> None:
    app = FastAPI()

    @app.get("/plain")
    def plain() -> dict[str, Any]:
        return ANSWER

    @app.get("/fast", response_model=dict[str, Any])
    def fast() -> Response:
        return fast_json(ANSWER)

    page = Page(items=[ANSWER["profile"], ANSWER["orders"][0]], total=2, limit=20, offset=0)

    @app.get("/plain-page", response_model=Page)
    def plain_page() -> Page:
        return page

    @app.get("/fast-page", response_model=Page)
    def fast_page() -> Response:
        return fast_json(page)

    client = TestClient(app)
    for plain_path, fast_path in (("/plain", "/fast"), ("/plain-page", "/fast-page")):
        expected, got = client.get(plain_path), client.get(fast_path)
        assert got.status_code == expected.status_code == 200
        assert got.headers["content-type"] == expected.headers["content-type"]
        assert got.content == expected.content
    assert client.get("/fast").json()["profile"]["p_alive"] is None
