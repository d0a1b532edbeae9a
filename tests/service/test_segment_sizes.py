"""Segments saved in the service get a size over time: the next `siyu run` copies them into the warehouse's
segments and snapshots them, and `/segments/tracked/{name}/history` shows one size per run (SQLite and
PostgreSQL stores; a real server on loopback, the real `siyu run` and `siyu segment count`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from test_profile_columns import open_world
from typer.testing import CliRunner

from service.conftest import free_port, start_server
from siyu.store.tables import saved_segments

ACTIVE = "has_tag('active')"


def _toml(path: Path, store: str | None, as_of: str | None) -> Path:
    lines = [f'[profile]\nas_of = "{as_of}"\n'] if as_of else []
    lines += [f'[store]\nurl = "{store}"\n'] if store else []
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _cli(*args: str) -> str:
    from siyu.cli.main import app

    out = CliRunner().invoke(app, list(args), env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.stdout
    return str(out.stdout)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None: the SQLite store beside the warehouse (the default); else `[store] url` on PostgreSQL."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
def world(tmp_path: Path, store_url: str | None) -> Iterator[tuple[Path, Path, Path]]:
    """(warehouse, siyu.toml as of 2026-05-15, siyu.toml as of the data's last day), profiled and published."""
    warehouse = tmp_path / "w.duckdb"
    open_world(warehouse).close()
    may = _toml(tmp_path / "may.toml", store_url, "2026-05-15")
    later = _toml(tmp_path / "later.toml", store_url, None)
    _cli("run", "--warehouse", str(warehouse), "--config", str(may), "--step", "profile", "--step", "tags")
    yield warehouse, may, later


def test_a_service_segment_gets_one_size_per_run(world: tuple[Path, Path, Path]) -> None:
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings

    warehouse, may, later = world
    w = ["--warehouse", str(warehouse)]
    cfg = service_config(warehouse, load_settings(may))
    add_user(cfg.store, "ana", "analyst", password="ana-pw")
    headers = {"Authorization": f"Bearer {create_token(cfg.store, 'ana', 'tests')}"}
    server, thread = start_server(create_app(cfg), port := free_port())
    url = f"http://127.0.0.1:{port}"
    try:
        saved = httpx.put(f"{url}/segments/active", headers=headers, timeout=30,
                          json={"expression": ACTIVE, "description": "bought lately"})
        assert saved.status_code == 200 and saved.json()["count"] == 3
        with cfg.store.begin() as con:  # saved when the profile had a column it no longer has
            con.execute(saved_segments.insert().values(name="gone", expression="wechat_level >= 2",
                                                       description="", user_name="ana",
                                                       updated_at=dt.datetime(2026, 1, 1)))
        first = _cli("run", *w, "--config", str(may), "--step", "segments")
        assert "not copied: gone" in first and "unknown column" in first  # reported, and the run went on
        at_may = int(_cli("segment", "count", ACTIVE, *w, "--config", str(may)).strip().replace(",", ""))
        _cli("run", *w, "--config", str(later), "--step", "profile", "--step", "tags", "--step", "segments")
        now = int(_cli("segment", "count", ACTIVE, *w, "--config", str(later)).strip().replace(",", ""))

        tracked = httpx.get(f"{url}/segments/tracked", headers=headers, timeout=30).json()["items"]
        assert [(s["name"], s["source"], s["members"]) for s in tracked] == [("active", "service", now)]
        history = httpx.get(f"{url}/segments/tracked/active/history", headers=headers, timeout=30)
        sizes = [(h["as_of"], h["members"], h["entered"], h["exited"]) for h in history.json()["items"]]
        assert (at_may, now) == (3, 2)
        assert sizes == [("2026-05-15", 3, 3, 0), (sizes[1][0], 2, 0, 1)] and sizes[1][0] > "2026-05-15"
        assert httpx.get(f"{url}/segments/tracked/gone/history", headers=headers, timeout=30).status_code == 404
    finally:
        server.should_exit = True
        thread.join(10)
        cfg.serving.close()
        cfg.store.dispose()


def _save_in_service(store: sa.Engine, name: str, expression: str, at: dt.datetime) -> None:
    """What `PUT /segments/{name}` writes (the API itself is exercised above)."""
    with store.begin() as con:
        con.execute(saved_segments.delete().where(saved_segments.c.name == name))
        con.execute(saved_segments.insert().values(name=name, expression=expression, description="",
                                                   user_name="ana", updated_at=at))


def test_a_name_saved_in_both_places_follows_the_later_save_and_a_deletion_stops_tracking(
        tmp_path: Path, store: sa.Engine) -> None:
    from siyu.config import Settings
    from siyu.profile import run_profile
    from siyu.segment import run_segments, run_tags
    from siyu.segment.store import history, list_segments, save_segment
    from siyu.segment.vocabulary import count

    settings = Settings(sections={"store": {"url": store.url.render_as_string(hide_password=False)}})
    engine = open_world(tmp_path / "w.duckdb")
    run_profile(engine, settings)
    run_tags(engine, settings)
    utc_now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    save_segment(engine, "repeat", "orders >= 2")  # saved in the warehouse now …
    _save_in_service(store, "repeat", "orders >= 3", utc_now - dt.timedelta(hours=1))  # … after the service's
    _save_in_service(store, "buyers", "orders >= 1", utc_now)
    message = run_segments(engine, settings, "r1")[2]
    assert "copied buyers" in message and "kept the warehouse's later save of repeat" in message

    def saved() -> dict[str, tuple[object, object]]:
        return {str(s["name"]): (s["expression"], s["source"]) for s in list_segments(engine)}

    assert saved() == {"buyers": ("orders >= 1", "service"), "repeat": ("orders >= 2", None)}
    _save_in_service(store, "repeat", "orders >= 3", utc_now + dt.timedelta(hours=1))  # saved again, later
    with store.begin() as con:
        con.execute(saved_segments.delete().where(saved_segments.c.name == "buyers"))
    message = run_segments(engine, settings, "r2")[2]
    assert "copied repeat" in message and "no longer in the service buyers" in message
    assert saved() == {"repeat": ("orders >= 3", "service")}
    sizes = [h["members"] for h in history(engine, "repeat")]
    assert sizes == [count(engine, "orders >= 2"), count(engine, "orders >= 3")] and sizes[0] != sizes[1]
    assert engine.scalar("SELECT count(*) FROM segment_snapshot WHERE segment = 'buyers'") == 1  # its size kept
    assert "service segments" not in run_segments(engine, settings, "r3")[2]  # nothing changed, nothing copied
    assert saved() == {"repeat": ("orders >= 3", "service")}
    engine.close()
