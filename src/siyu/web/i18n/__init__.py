"""The console's words: one catalog per language (zh.py, en.py) with the same keys."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from siyu.web.i18n import en, zh

CATALOGS: dict[str, dict[str, str]] = {"zh": zh.MESSAGES, "en": en.MESSAGES}
LANG_COOKIE = "siyu_lang"


def _accepted(header: str) -> list[tuple[float, str]]:
    """Accept-Language as (q, tag), best first."""
    out = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag:
            out.append((q, tag.strip().lower()))
    return sorted(out, key=lambda x: -x[0])


def language(request: Request) -> str:
    """The reader's choice (cookie) first; else Chinese when the browser prefers it; else English."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in CATALOGS:
        return str(chosen)
    accepted = _accepted(request.headers.get("accept-language", ""))
    return "zh" if accepted and accepted[0][1].startswith("zh") else "en"


def translator(lang: str) -> Callable[..., str]:
    catalog = CATALOGS[lang]

    def t(key: str, /, **values: object) -> str:
        text = catalog.get(key, key)
        return text.format(**values) if values else text

    return t
