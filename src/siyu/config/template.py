"""The commented siyu.toml that `siyu init` writes."""

from __future__ import annotations

from importlib.resources import files


def template_text() -> str:
    """The template, as shipped with the package (every key shown with its default)."""
    return files("siyu.config").joinpath("template.toml").read_text(encoding="utf-8")
