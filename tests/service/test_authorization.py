"""Every endpoint × every role, and no token, derived from /openapi.json: a route without a permission rule, or
one that answers a caller it should refuse, fails here. Refusals carry only a `detail`, never data."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from service.conftest import ROLES_UNDER_TEST, Served
from siyu.auth.roles import ROLES

METHODS = ("get", "post", "put", "patch", "delete")
PATH_VALUES = {"person_id": "P0000000001", "name": "no-such-segment", "job_id": "0" * 32}


def operations(served: Served) -> list[tuple[str, str, dict[str, Any]]]:
    spec = httpx.get(served.url + "/openapi.json", timeout=30).json()
    return [(method, path, op) for path, item in spec["paths"].items() for method, op in item.items()
            if method in METHODS]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def test_every_operation_declares_a_permission(served: Served) -> None:
    ops = operations(served)
    assert len(ops) >= 20
    missing = [f"{m.upper()} {p}" for m, p, op in ops if "x-siyu-permission" not in op]
    assert missing == []


def test_authorization_matrix(served: Served) -> None:
    """No token → 401 (public routes aside); a role without the permission → 403; with it → neither. Never 5xx."""
    wrong: list[str] = []
    for method, path, op in operations(served):
        permission = op.get("x-siyu-permission")
        if permission == "public":
            continue
        url = served.url + concrete(path)
        for role in (None, *ROLES_UNDER_TEST):
            if method == "post" and path == "/runs" and role in ("admin", "operator"):
                continue  # allowed, and would start a real run; test_runs covers it
            r = httpx.request(method, url, headers=served.headers(role), timeout=60)
            allowed = role is not None and (permission == "self" or permission in ROLES[role])
            expected_refusal = 401 if role is None else (None if allowed else 403)
            ok = (r.status_code == expected_refusal) if expected_refusal else r.status_code not in (401, 403)
            if r.status_code >= 500:
                ok = False
            if r.status_code in (401, 403) and set(r.json()) != {"detail"}:
                ok = False
            if not ok:
                wrong.append(f"{method.upper()} {path} as {role or 'no token'}: {r.status_code} {r.text[:80]}")
    assert wrong == []


@pytest.mark.parametrize("header", ["Bearer siyu_forged", "Bearer", "Basic YWRtaW46YWRtaW4="])
def test_bad_credentials_are_401(served: Served, header: str) -> None:
    r = httpx.get(served.url + "/persons", params={"person_id": "P0000000001"}, headers={"Authorization": header})
    assert r.status_code == 401 and set(r.json()) == {"detail"}
