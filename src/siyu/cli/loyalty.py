"""`siyu points`, `siyu wallet` and `siyu coupon`: the member ledger from the command line. Thin: every rule lives
in siyu.loyalty; writes take an idempotency key (`--key`, generated when omitted) and are audited."""

from __future__ import annotations

import datetime as dt
import getpass
import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, WarehouseOpt, choose, console, fail, friendly, reading

if TYPE_CHECKING:
    import sqlalchemy as sa

points_app = typer.Typer(help="Members' points: balances, history, adjustments, reconcile.", no_args_is_help=True)
wallet_app = typer.Typer(help="Stored value (储值): balances, top-ups, liability.", no_args_is_help=True)
coupon_app = typer.Typer(help="Coupons: issue and list those about to expire.", no_args_is_help=True)

KeyOpt = Annotated[str | None, typer.Option("--key", help="idempotency key: the same key never posts twice")]


def _ledger(warehouse: str | None, config: ConfigOpt) -> sa.Engine:
    from siyu.store import open_store, store_url

    choice = choose(warehouse, config)
    return open_store(store_url(choice.settings, choice.path))


def _audit(store: sa.Engine, action: str, target: str, reason: str) -> None:
    from siyu.auth.audit import record
    from siyu.auth.roles import User

    record(store, User(0, f"cli:{getpass.getuser()}", "admin"), action, target, reason)


def points_show(
    person: Annotated[str, typer.Argument(help="person id, e.g. P0000000042")],
    limit: Annotated[int, typer.Option(help="history lines to show")] = 20,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """A member's balances and latest ledger entries."""
    from siyu.loyalty import ledger

    with _ledger(warehouse, config).connect() as conn:
        held = ledger.balances(conn, person)
        lines = ledger.history(conn, person, limit)
    console.print(f"{person}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(held.items())) if held
                  else f"{person}: nothing in the ledger")
    table = Table("posted", "type", "account", "amount", "expires", "order", "reason", title="history")
    for h in lines:
        table.add_row(f"{h.posted_at:%Y-%m-%d %H:%M}", h.type, h.kind, f"{h.amount:+,}", str(h.expires_on or ""),
                      f"{h.channel}:{h.order_id}" if h.order_id else "", h.reason or "")
    console.print(table)


def points_adjust(
    person: Annotated[str, typer.Argument(help="person id")],
    amount: Annotated[int, typer.Argument(help="points to add (negative to take)")],
    reason: Annotated[str, typer.Option("--reason", help="why (required, kept in the ledger and the audit log)")],
    key: KeyOpt = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """A manual adjustment of a member's points."""
    from siyu.loyalty import lots

    store = _ledger(warehouse, config)
    key = key or f"cli:{uuid.uuid4()}"
    p = lots.adjust(store, person, amount, reason, key)
    if p.created:
        _audit(store, "points.adjust", f"{person} {amount:+}", reason)
    console.print(f"{'posted' if p.created else 'already posted'}: {person} {amount:+,} points (key {p.key})")


def points_reconcile(warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Recompute what every order should have earned from the warehouse's orders and the rules; list each
    difference with the ledger (exit 1 when there is any)."""
    from siyu.loyalty.reconcile import reconcile_warehouse
    from siyu.store import open_store, store_url

    with reading(warehouse, config) as (engine, choice):  # the published orders; the ledger of the warehouse itself
        store = open_store(store_url(choice.settings, choice.path))
        n, found = reconcile_warehouse(engine, choice.settings, store)
    if not found:
        console.print(f"{n:,} orders: the ledger agrees")
        return
    table = Table("person", "order", "what", "expected", "found", title=f"{len(found):,} differences")
    for d in found:
        table.add_row(d.person_id or "", f"{d.channel}:{d.order_id}" if d.order_id else "", d.what,
                      str(d.expected), str(d.found))
    console.print(table)
    raise typer.Exit(1)


def wallet_topup(
    person: Annotated[str, typer.Argument(help="person id")],
    principal: Annotated[int, typer.Argument(help="fen paid")],
    gift: Annotated[int, typer.Option("--gift", help="bonus fen")] = 0,
    key: KeyOpt = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Record a stored-value top-up with its bonus."""
    from siyu.loyalty import wallet

    store = _ledger(warehouse, config)
    p = wallet.topup(store, person, principal, gift, key or f"cli:{uuid.uuid4()}")
    if p.created:
        _audit(store, "wallet.topup", f"{person} {principal}+{gift}", "")
    console.print(f"{'posted' if p.created else 'already posted'}: {person} +{principal:,} fen, gift +{gift:,} fen")


def wallet_liability(warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Outstanding stored value (principal and gift) at the end of each month."""
    from siyu.loyalty import wallet

    with _ledger(warehouse, config).connect() as conn:
        months = wallet.liability_by_month(conn)
    table = Table("month", "principal ¥", "gift ¥", title="stored-value liability")
    for m in months:
        table.add_row(m.month, f"{m.principal_fen / 100:,.2f}", f"{m.gift_fen / 100:,.2f}")
    console.print(table)


def coupon_issue(
    person: Annotated[str, typer.Argument(help="person id")],
    value: Annotated[int, typer.Argument(help="value in fen (1000 = ¥10)")],
    days: Annotated[int, typer.Option("--days", help="days valid")] = 30,
    key: KeyOpt = None,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Issue a coupon to a member."""
    from siyu.loyalty import coupons

    c = coupons.issue(_ledger(warehouse, config), person, value, days, key or f"cli:{uuid.uuid4()}")
    console.print(f"coupon {c.id}: {person} ¥{c.value_fen / 100:,.2f} valid until {c.valid_until:%Y-%m-%d %H:%M} UTC")


def coupon_expiring(
    days: Annotated[int, typer.Option("--days", help="expiring within this many days")] = 3,
    warehouse: WarehouseOpt = None, config: ConfigOpt = None,
) -> None:
    """Issued coupons that expire soon (for a reminder)."""
    from siyu.loyalty import coupons

    if days < 0:
        fail("--days must be 0 or more")
    with _ledger(warehouse, config).connect() as conn:
        found = coupons.expiring(conn, dt.datetime.now(dt.UTC), days)
    table = Table("coupon", "person", "¥", "valid until (UTC)", title=f"expiring within {days} days")
    for c in found:
        table.add_row(str(c.id), c.person_id, f"{c.value_fen / 100:,.2f}", f"{c.valid_until:%Y-%m-%d %H:%M}")
    console.print(table)


def register(app: typer.Typer) -> None:
    points_app.command("show")(friendly(points_show))
    points_app.command("adjust")(friendly(points_adjust))
    points_app.command("reconcile")(friendly(points_reconcile))
    wallet_app.command("topup")(friendly(wallet_topup))
    wallet_app.command("liability")(friendly(wallet_liability))
    coupon_app.command("issue")(friendly(coupon_issue))
    coupon_app.command("expiring")(friendly(coupon_expiring))
    app.add_typer(points_app, name="points")
    app.add_typer(wallet_app, name="wallet")
    app.add_typer(coupon_app, name="coupon")
