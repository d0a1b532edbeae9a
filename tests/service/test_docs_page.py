"""`/docs` is siyu's own page: every operation of /openapi.json with its permission and parameters, and nothing
in it that makes the reader's browser fetch from another host (the CDN Swagger UI did)."""

from __future__ import annotations

import re
from html import unescape

import httpx

from service.conftest import Served


def test_docs_lists_every_operation_and_loads_nothing_from_elsewhere(served: Served) -> None:
    spec = httpx.get(served.url + "/openapi.json", timeout=30).json()
    r = httpx.get(served.url + "/docs", timeout=30)  # public, like the spec itself
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = unescape(r.text)
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert f'data-operation="{method} {path}"' in page, f"{method.upper()} {path} missing from /docs"
            section = page.split(f'data-operation="{method} {path}"')[1].split("<section")[0]
            assert f"permission: <code>{op['x-siyu-permission']}</code>" in section
    assert 'href="/openapi.json"' in page
    assert re.findall(r"(?:https?:)?//[\w.-]+", page) == []  # no absolute or protocol-relative URL at all
    assert "<script" not in page.lower() and "default-src 'none'" in r.headers["content-security-policy"]


def test_docs_shows_an_operations_parameters(served: Served) -> None:
    page = unescape(httpx.get(served.url + "/docs", timeout=30).text)
    view = page.split('data-operation="get /persons/{person_id}"')[1].split("<section")[0]
    for name in ("person_id", "unmask", "reason"):
        assert f"<code>{name}</code>" in view
    assert "persons:read" in view and "The 360 view" in view


def test_framework_doc_pages_are_off(served: Served) -> None:
    assert httpx.get(served.url + "/redoc", timeout=30).status_code == 404
    assert httpx.get(served.url + "/docs/oauth2-redirect", timeout=30).status_code == 404
