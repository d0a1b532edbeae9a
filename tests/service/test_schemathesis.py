"""Schemathesis over /openapi.json, as an admin: whatever it sends, the server answers without a 5xx.

Each operation's cases are drawn with Hypothesis directly (schemathesis's pytest plugin does not run under this
pytest), a few per operation so the suite stays quick."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from service.conftest import Served

EXAMPLES = 8
SKIP = {("POST", "/runs"), ("POST", "/auth/login")}  # a real run: test_runs; logins would lock users out


def test_no_server_errors(served: Served) -> None:
    schema = schemathesis.openapi.from_url(served.url + "/openapi.json")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=served.url, headers=served.headers("admin"),
                                   checks=[not_a_server_error], timeout=60)

        fuzz()
        tried.append(f"{operation.method.upper()} {operation.path}")
    assert len(tried) >= 20
