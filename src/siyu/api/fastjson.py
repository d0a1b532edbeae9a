"""JSON answers for the service's hot paths, serialised once, in pydantic's Rust encoder.

FastAPI validates a returned value against the route's response model and then serialises it; for a 360 view
(fifty orders, fifty messages, nested) or a page of a hundred metric rows that costs more CPU than the lookups
themselves, and under 20 concurrent clients on two cores CPU is latency. A route returns `fast_json(value)`
instead: the same encoding (pydantic's: ISO dates and times, decimals as strings, NaN as null), done once. The
route keeps its `response_model` for the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic_core import to_json


class FastJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content, inf_nan_mode="null")


def fast_json(content: Any, status_code: int = 200) -> Response:
    """`content` (dicts, lists, scalars, dates, decimals) as a JSON response, without response-model validation."""
    return FastJSON(content, status_code=status_code)
