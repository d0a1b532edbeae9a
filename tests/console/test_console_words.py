"""The console's words: both catalogs say everything the templates ask for, and the language is chosen as the
browser asks."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from starlette.requests import Request

from siyu.web.i18n import CATALOGS, LANG_COOKIE, language

WEB = files("siyu.web")


def _asked() -> set[str]:
    """Every literal key the templates and pages pass to t()."""
    texts = [p.read_text(encoding="utf-8") for p in WEB.joinpath("templates").iterdir()]
    texts += [p.read_text(encoding="utf-8") for p in WEB.joinpath("pages").iterdir() if p.name.endswith(".py")]
    return {k for text in texts for k in re.findall(r"\bt\('([a-z0-9_]+)'\s*[,)]", text)}


def test_both_catalogs_have_the_same_keys_and_every_key_asked_for() -> None:
    assert set(CATALOGS["zh"]) == set(CATALOGS["en"])
    asked = _asked()
    assert len(asked) > 100  # the scan found the templates
    assert sorted(asked - set(CATALOGS["en"])) == []
    assert CATALOGS["zh"]["nav_home"] == "首页" and CATALOGS["en"]["nav_home"] == "Home"


def _request(accept: str, cookie: str = "") -> Request:
    headers = [(b"accept-language", accept.encode())]
    if cookie:
        headers.append((b"cookie", f"{LANG_COOKIE}={cookie}".encode()))
    return Request({"type": "http", "headers": headers})


@pytest.mark.parametrize(("accept", "cookie", "lang"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "", "zh"),
    ("zh-TW", "", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "", "en"),
    ("en;q=0.5,zh;q=0.9", "", "zh"),  # the weights decide, not the order
    ("", "", "en"),
    ("fr-FR", "", "en"),
    ("zh-CN", "en", "en"),  # the reader's switch wins over the browser
    ("en", "zh", "zh"),
    ("en", "xx", "en"),  # an unknown cookie is ignored
])
def test_the_language_follows_the_switch_then_the_browser(accept: str, cookie: str, lang: str) -> None:
    assert language(_request(accept, cookie)) == lang
