"""siyu.toml and the one way to find the warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.config import ConfigError, load_settings, locate_warehouse
from siyu.config.template import template_text


def test_defaults_without_a_file() -> None:
    s = load_settings(None)
    assert s.engine.name == "duckdb" and s.brand.timezone == "Asia/Shanghai" and s.brand.currency == "CNY"


def test_template_is_valid_and_shows_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "siyu.toml"
    path.write_text(template_text(), encoding="utf-8")
    assert load_settings(path).model_dump() == load_settings(None).model_dump()


def test_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "siyu.toml"
    path.write_text('[engine]\nnmae = "spark"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"engine\.nmae"):
        load_settings(path)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "siyu.toml"
    path.write_text("warehouse = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"siyu\.toml: not valid TOML"):
        load_settings(path)


def test_layer_sections_are_kept_for_their_layer(tmp_path: Path) -> None:
    path = tmp_path / "siyu.toml"
    path.write_text("[clv]\nmodel = 'pnbd'\n", encoding="utf-8")
    assert load_settings(path).section("clv") == {"model": "pnbd"}


def test_warehouse_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIYU_WAREHOUSE", raising=False)
    assert locate_warehouse(None, cwd=tmp_path).path == tmp_path / "siyu-demo.duckdb"
    (tmp_path / "siyu.toml").write_text('warehouse = "data/brand.duckdb"\n', encoding="utf-8")
    choice = locate_warehouse(None, cwd=tmp_path)
    assert choice.path == tmp_path / "data" / "brand.duckdb" and choice.reason.endswith("siyu.toml")
    monkeypatch.setenv("SIYU_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert locate_warehouse(None, cwd=tmp_path).reason == "SIYU_WAREHOUSE"
    assert locate_warehouse(str(tmp_path / "flag.duckdb"), cwd=tmp_path).reason == "--warehouse"


def test_today_is_the_brands_date_not_the_machines(tmp_path: Path) -> None:
    """Kiritimati (UTC+14) and Pago Pago (UTC−11) are 25 hours apart: at any moment the first is on a later date.
    Points released, KOC candidates, referrals and journeys all take "today" from here."""
    east, west = (tmp_path / "east.toml", tmp_path / "west.toml")
    east.write_text('[brand]\ntimezone = "Pacific/Kiritimati"\n', encoding="utf-8")
    west.write_text('[brand]\ntimezone = "Pacific/Pago_Pago"\n', encoding="utf-8")
    later, earlier = load_settings(east).brand.today(), load_settings(west).brand.today()
    assert 1 <= (later - earlier).days <= 2
