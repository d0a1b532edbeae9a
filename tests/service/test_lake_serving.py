"""A Spark project is served from its published Parquet lake, read by DuckDB: the same answers as the DuckDB
warehouse the lake was written from, and a new publication is what the next request sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from service.conftest import Served, free_port, start_server
from siyu.engine.quote import ident, literal


def write_lake(warehouse: Path, lake: Path) -> None:
    """Each table of the warehouse as a Parquet folder, as the Spark engine lays its lake out."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            (lake / table).mkdir(parents=True, exist_ok=True)
            con.execute(f"COPY {ident(table)} TO {literal(str(lake / table / 'part-00000.parquet'))} "
                        f"(FORMAT parquet)")


def numbers_alike(value: Any) -> Any:
    """JSON with every number as a float: DuckDB's HUGEINT sums come as strings ("0"), the Parquet copies as
    numbers; the values must agree, not their JSON spelling."""
    if isinstance(value, dict):
        return {k: numbers_alike(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers_alike(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float) or (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value)):
        return round(float(value), 6)
    return value


@pytest.fixture(scope="module")
def lake_served(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings
    from siyu.engine.snapshot import publish

    root = tmp_path_factory.mktemp("lake-project")
    write_lake(demo_warehouse, root / "lake")
    publish(root / "lake")
    (root / "siyu.toml").write_text('[engine]\nname = "spark"\nlake = "lake"\n', encoding="utf-8")
    cfg = service_config(root / "siyu.duckdb", load_settings(root / "siyu.toml"))
    add_user(cfg.store, "an", "analyst")
    token = create_token(cfg.store, "an")
    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield f"http://127.0.0.1:{port}", token, root
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()


def test_a_published_lake_answers_as_the_warehouse_does(lake_served: tuple[str, str, Path], served: Served) -> None:
    url, token, _ = lake_served
    lake = {"Authorization": f"Bearer {token}"}
    with duckdb.connect(str(served.warehouse), read_only=True) as con:
        person, phone = con.execute("SELECT p.person_id, i.phone FROM person_map p JOIN identities i "
                                    "USING (channel, channel_uid) WHERE p.channel = 'wecom' AND i.phone IS NOT NULL "
                                    "ORDER BY p.person_id LIMIT 1").fetchall()[0]
    asks = [("GET", f"/persons/{person}", {}), ("GET", "/persons", {"params": {"phone": phone}}),
            ("POST", "/segments/count", {"json": {"expression": "orders >= 2 and in_private_domain"}}),
            ("GET", "/metrics", {"params": {"grain": "month", "slice": "channel", "limit": 20}})]
    for method, path, kw in asks:
        from_lake = httpx.request(method, url + path, headers=lake, timeout=60, **kw)  # type: ignore[arg-type]
        from_file = httpx.request(method, served.url + path, headers=served.headers("analyst"), timeout=60,
                                  **kw)  # type: ignore[arg-type]
        assert from_lake.status_code == 200, from_lake.text
        assert numbers_alike(from_lake.json()) == numbers_alike(from_file.json()), path


def test_a_new_publication_is_what_the_next_request_reads(lake_served: tuple[str, str, Path]) -> None:
    from siyu.engine.snapshot import publish

    url, token, root = lake_served
    headers = {"Authorization": f"Bearer {token}"}
    before = httpx.get(f"{url}/tags", headers=headers, timeout=60).json()
    assert before["total"] > 0
    tags = root / "lake" / "person_tag" / "part-00000.parquet"
    with duckdb.connect() as con:  # the next run wrote a new file for the table: no tags at all
        con.execute(f"COPY (SELECT * FROM read_parquet({literal(str(tags))}) WHERE false) "
                    f"TO {literal(str(tags) + '.new')} (FORMAT parquet)")
    Path(str(tags) + ".new").replace(tags)
    assert httpx.get(f"{url}/tags", headers=headers, timeout=60).json() == before  # not published yet
    publish(root / "lake")
    after = httpx.get(f"{url}/tags", headers=headers, timeout=60).json()
    assert after != before
