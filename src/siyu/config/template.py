"""The commented siyu.toml that `siyu init` writes."""

from __future__ import annotations

from importlib.resources import files

import tomli_w

_DEFAULT_NAME = 'name = "My brand"'


def template_text(brand_name: str | None = None) -> str:
    """The template, as shipped with the package (every key shown with its default), with the brand's name when
    given: written by a TOML writer, so quotes, backslashes and newlines in it stay one readable value."""
    text = files("siyu.config").joinpath("template.toml").read_text(encoding="utf-8")
    if brand_name is None:
        return text
    return text.replace(_DEFAULT_NAME, tomli_w.dumps({"name": brand_name}).rstrip("\n"), 1)
