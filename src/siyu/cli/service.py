"""`siyu serve`, `siyu user` and `siyu token`: run the HTTP API and let people in. Heavy modules load inside
the commands, so `siyu --help` stays fast."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, WarehouseOpt, choose, console, friendly

if TYPE_CHECKING:
    import sqlalchemy as sa

user_app = typer.Typer(help="Users of `siyu serve`: add and list.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create and revoke.", no_args_is_help=True)


def _store(warehouse: str | None, config: ConfigOpt) -> sa.Engine:
    from siyu.store import open_store, store_url

    choice = choose(warehouse, config)
    return open_store(store_url(choice.settings, choice.path))


def serve(
    host: Annotated[str, typer.Option(help="address to listen on (put a TLS reverse proxy in front for others)")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int | None, typer.Option(
        min=1, help="worker processes (default: the number of cores); each answers any request")] = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, docs at /docs) on the warehouse, read-only."""
    import os

    from siyu.api.app import CONFIG_ENV, WAREHOUSE_ENV, create_app
    from siyu.api.context import service_config
    from siyu.api.logs import run_server, run_workers
    from siyu.engine.factory import store_path

    choice = choose(warehouse, config)
    served = store_path(choice.settings, choice.path)  # the DuckDB file, or a Spark project's lake folder
    if not served.exists():
        raise FileNotFoundError(f"no warehouse at {served}; run `siyu demo` or `siyu import` first")
    count = workers or os.cpu_count() or 1
    cfg = service_config(choice.path, choice.settings)  # migrates the store once, before any worker starts
    console.print(f"serving {choice.path} on http://{host}:{port} with {count} worker(s) (docs: /docs)")
    if count == 1:
        run_server(create_app(cfg), host, port)
        return
    cfg.store.dispose()
    os.environ[WAREHOUSE_ENV] = str(choice.path.resolve())
    if choice.settings.source:
        os.environ[CONFIG_ENV] = str(choice.settings.source.resolve())
    run_workers("siyu.api.app:app_from_env", host, port, count)


def user_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option("--role", help="admin, analyst, operator, guide or auditor")],
    password: Annotated[bool, typer.Option("--password", help="ask for a password (for the browser login)")] = False,
    staff_id: Annotated[str | None, typer.Option("--staff-id", help="a guide's staff id")] = None,
    store_id: Annotated[str | None, typer.Option("--store-id", help="a guide's store id")] = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Add a user with a role; `siyu token create NAME` then gives them an API token."""
    from siyu.auth.users import add_user

    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    user = add_user(_store(warehouse, config), name, role, secret, staff_id, store_id)
    console.print(f"added {user.name} ({user.role})")


def user_list(warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Users with their roles."""
    from siyu.auth.users import list_users

    table = Table("name", "role", "staff", "store", "active", "created", title="users")
    for u in list_users(_store(warehouse, config)):
        table.add_row(str(u["name"]), str(u["role"]), str(u["staff_id"] or ""), str(u["store_id"] or ""),
                      "yes" if u["active"] else "no", str(u["created_at"])[:19])
    console.print(table)


def token_create(
    name: Annotated[str, typer.Argument(help="the user the token acts as")],
    label: Annotated[str, typer.Option("--label", help="what the token is for")] = "",
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Create an API token (printed once: siyu keeps only its hash). Send it as `Authorization: Bearer …`."""
    from siyu.auth.users import create_token

    print(create_token(_store(warehouse, config), name, label))


def token_revoke(
    name: Annotated[str, typer.Argument(help="the user whose tokens to revoke")],
    label: Annotated[str | None, typer.Option("--label", help="only the tokens with this label")] = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Revoke a user's tokens."""
    from siyu.auth.users import revoke_tokens

    console.print(f"revoked {revoke_tokens(_store(warehouse, config), name, label)} token(s)")


def register(app: typer.Typer) -> None:
    app.command("serve")(friendly(serve))
    user_app.command("add")(friendly(user_add))
    user_app.command("list")(friendly(user_list))
    token_app.command("create")(friendly(token_create))
    token_app.command("revoke")(friendly(token_revoke))
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
