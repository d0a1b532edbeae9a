"""`/docs`: every operation of the app's OpenAPI as one server-rendered page.

FastAPI's Swagger UI and ReDoc pages load their scripts from a CDN in the reader's browser; this page needs nothing
but siyu, works offline and behind a firewall, and its Content-Security-Policy forbids fetching anything at all.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from siyu.api.security import PUBLIC, guarded

router = APIRouter(tags=["service"])

METHODS = ("get", "post", "put", "patch", "delete")
#: nothing is fetched: no scripts, images, fonts or frames; the page's own <style> only
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
_STYLE = ("body{font:14px/1.5 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em}"
          ".d{white-space:pre-line}section{border-top:1px solid #ddd;padding:.5em 0}"
          "code{background:#f4f4f4;padding:0 .2em}"
          ".m{font-weight:bold;display:inline-block;min-width:4.5em}table{border-collapse:collapse}"
          "td,th{border:1px solid #ddd;padding:.1em .5em;text-align:left;vertical-align:top}")


def _schema_type(schema: dict[str, Any]) -> str:
    """A parameter's type in a few characters (`integer`, `string | null`, `array of string`)."""
    if "anyOf" in schema:
        return " | ".join(_schema_type(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    kind = str(schema.get("type", "any"))
    return f"array of {_schema_type(schema.get('items', {}))}" if kind == "array" else kind


def _parameters(op: dict[str, Any]) -> str:
    params = op.get("parameters", [])
    body = op.get("requestBody", {}).get("content", {})
    if not params and not body:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(str(p['name']))}</code></td><td>{escape(str(p.get('in', '')))}</td>"
        f"<td>{escape(_schema_type(p.get('schema', {})))}</td><td>{'yes' if p.get('required') else ''}</td>"
        f"<td>{escape(str(p.get('description') or p.get('schema', {}).get('description', '')))}</td></tr>"
        for p in params)
    rows += "".join(f"<tr><td>body</td><td>body</td><td>{escape(kind)}</td>"
                    f"<td>{'yes' if op['requestBody'].get('required') else ''}</td><td></td></tr>" for kind in body)
    return ("<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>"
            f"{rows}</table>")


def _operation(method: str, path: str, op: dict[str, Any]) -> str:
    summary = op.get("summary") or op.get("operationId", "")
    description = str(op.get("description") or "").strip()
    return (f'<section data-operation="{escape(method + " " + path)}"><div><span class="m">{method.upper()}</span> '
            f"<code>{escape(path)}</code> — {escape(str(summary))}</div>"
            f"<div>permission: <code>{escape(str(op.get('x-siyu-permission', '?')))}</code></div>"
            + (f'<p class="d">{escape(description)}</p>' if description else "") + _parameters(op) + "</section>")


def render(spec: dict[str, Any], openapi_url: str) -> str:
    """The page for an OpenAPI document; every operation in the spec's order."""
    info = spec.get("info", {})
    title = f"{info.get('title', 'API')} {info.get('version', '')}".strip()
    ops = "".join(_operation(method, path, op) for path, item in spec.get("paths", {}).items()
                  for method, op in item.items() if method in METHODS)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
            f"<p>{escape(str(info.get('description', '')))}</p>"
            f'<p>Machine-readable description: <a href="{escape(openapi_url)}">{escape(openapi_url)}</a>. '
            "Permissions are the roles' (see docs/api.md); <code>public</code> needs no login, "
            "<code>self</code> any logged-in user.</p>"
            f"{ops}</body></html>")


@router.get("/docs", response_class=HTMLResponse, **guarded(PUBLIC))
def docs(request: Request) -> HTMLResponse:
    """This page: every operation with its permission and parameters, rendered here, nothing loaded from elsewhere."""
    openapi_url = str(request.scope.get("root_path", "")) + (request.app.openapi_url or "/openapi.json")
    return HTMLResponse(render(request.app.openapi(), openapi_url), headers={"Content-Security-Policy": CSP})
