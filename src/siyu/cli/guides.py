"""`siyu guides`, `siyu koc` and `siyu referrals`: store guides, the KOC programme and referral invitations from the
command line. Thin: every rule lives in siyu.guides, siyu.koc and siyu.referrals; changes are audited."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from siyu.cli.common import ConfigOpt, WarehouseOpt, choose, console, friendly, reading

if TYPE_CHECKING:
    import sqlalchemy as sa

guides_app = typer.Typer(help="Store guides: attribution, statements, leaderboard, handover.", no_args_is_help=True)
koc_app = typer.Typer(help="The KOC programme: candidates, roster, groups, evaluation.", no_args_is_help=True)
referrals_app = typer.Typer(help="Referral invitations: codes, rewards, review.", no_args_is_help=True)

MonthOpt = Annotated[str, typer.Option("--month", help="YYYY-MM")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (required, audited)")]


def _store(warehouse: str | None, config: ConfigOpt) -> sa.Engine:
    from siyu.store import open_store, store_url

    choice = choose(warehouse, config, quiet=True)
    return open_store(store_url(choice.settings, choice.path))


def _audit(store: sa.Engine, action: str, target: str, reason: str) -> None:
    from siyu.auth.audit import record
    from siyu.auth.roles import User

    record(store, User(0, f"cli:{getpass.getuser()}", "admin"), action, target, reason)


def _user() -> str:
    return f"cli:{getpass.getuser()}"


def guides_attribute(start: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                     end: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
                     warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Attribute the period's orders to guides and show the share of net sales they carry."""
    from siyu.guides.attribution import attribute, revenue_share
    from siyu.guides.settings import guide_settings

    with reading(warehouse, config) as (eng, choice):
        rules = guide_settings(choice.settings)
        n = attribute(eng, rules, start.date(), end.date())
        s = revenue_share(eng, rules, start.date(), end.date())
    console.print(f"{n:,} orders attributed; net sales {s['net_sales']:,.2f}, direct {s['direct']:,.2f}, "
                  f"indirect {s['indirect']:,.2f}: {s['share']:.1%} through guides")


def guides_statement(staff: Annotated[str, typer.Argument(help="the guide's staff id")], month: MonthOpt,
                     warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """A guide's monthly commission statement."""
    from siyu.guides.commission import Statement, statements
    from siyu.guides.settings import guide_settings

    with reading(warehouse, config) as (eng, choice):
        st = statements(eng, guide_settings(choice.settings), month, staff).get(staff, Statement(staff, month))
    table = Table("order", "rule", "kind", "basis", "commission", "reason", title=f"{staff} {month}")
    for ln in st.lines:
        table.add_row(f"{ln.channel}:{ln.order_id}", ln.rule, ln.kind, f"{ln.basis_fen / 100:,.2f}",
                      f"{ln.commission_fen / 100:,.2f}", ln.reason)
    console.print(table)
    console.print(f"earned {st.earned_fen / 100:,.2f}, clawed back {st.clawback_fen / 100:,.2f}, "
                  f"total {st.total_fen / 100:,.2f}")


def guides_leaderboard(month: MonthOpt, warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Guides ranked by attributed sales, with friends added, first-order conversion and repurchase."""
    from siyu.guides.leaderboard import leaderboard
    from siyu.guides.periods import month_bounds
    from siyu.guides.settings import guide_settings
    from siyu.metrics.settings import metrics_config

    with reading(warehouse, config) as (eng, choice):
        rows = leaderboard(eng, guide_settings(choice.settings), *month_bounds(month),
                           metrics_config(choice.settings).settings)
    table = Table("guide", "friends added", "first-order conversion", "repurchase", "attributed sales")
    pct = lambda v: "" if v is None else f"{v:.1%}"  # noqa: E731
    for r in rows:
        table.add_row(r["guide_id"], f"{r['friends_added']:,}", pct(r["first_order_conversion"]),
                      pct(r["repurchase"]), f"{r['attributed_sales']:,.2f}")
    console.print(table)


def guides_handover(from_staff: Annotated[str, typer.Argument(help="the leaving guide")],
                    to_staff: Annotated[str, typer.Argument(help="the colleague taking over")],
                    reason: ReasonOpt, warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Move every customer a guide owns to a colleague; the history stays."""
    from siyu.guides.owners import hand_over

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, _):
        hid = hand_over(eng, store, from_staff, to_staff, _user(), reason)
    _audit(store, "guides.handover", f"{from_staff} → {to_staff} (handover {hid})", reason)
    console.print(f"handover {hid}: {from_staff}'s customers now belong to {to_staff}")


def koc_candidates(as_of: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
                   nominate: Annotated[bool, typer.Option(help="put new ones on the roster as candidates")] = False,
                   warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Persons passing the [koc] rule, with their evidence."""
    from siyu.koc.candidates import candidates
    from siyu.koc.roster import nominate as add
    from siyu.koc.settings import koc_settings

    with reading(warehouse, config) as (eng, choice):
        day = as_of.date() if as_of else choice.settings.brand.today()
        rows = candidates(eng, koc_settings(choice.settings), day)
    table = Table("person", "purchases", "spend", "1:1 messages", "group messages", "groups", title=f"as of {day}")
    for r in rows:
        table.add_row(r["person_id"], str(r["purchases"]), f"{r['spend']:,.2f}", str(r["chat_messages"]),
                      str(r["group_messages"]), str(r["groups"]))
    console.print(table)
    if nominate:
        added = add(_store(warehouse, config), [r["person_id"] for r in rows], _user(), f"passed the rule on {day}")
        console.print(f"{len(added):,} new candidates on the roster")


def koc_state(person: Annotated[str, typer.Argument(help="person id")],
              state: Annotated[str, typer.Argument(help="candidate, approved, active, standby or retired")],
              reason: ReasonOpt, warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Move a person along the programme."""
    from siyu.koc.roster import change

    store = _store(warehouse, config)
    c = change(store, person, state, _user(), reason)
    _audit(store, "koc.state", f"{person}: {c.from_state} → {c.to_state}", reason)
    console.print(f"{person}: {c.from_state or 'new'} → {c.to_state}")
    if c.released:
        console.print(f"groups given up (free for the next suggestion): {', '.join(c.released)}")


def koc_groups(as_of: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
               take: Annotated[bool, typer.Option(help="assign the suggested groups (audited)")] = False,
               warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Suggested KOCs for the groups nobody looks after, by activity and persona."""
    from siyu.koc.groups import assign, below_minimum, suggest
    from siyu.koc.settings import koc_settings

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, choice):
        day = as_of.date() if as_of else choice.settings.brand.today()
        cfg = koc_settings(choice.settings)
        found = suggest(eng, store, cfg, day)
        table = Table("group", "KOC", "premium", "messages (90 days)", "persona matches", title=f"as of {day}")
        for s in found:
            table.add_row(s.group_id, s.person_id, "yes" if s.premium else "", str(s.messages), str(s.persona))
            if take:
                assign(eng, store, cfg, s.group_id, s.person_id, _user())
                _audit(store, "koc.assign", f"{s.group_id} → {s.person_id}", "suggested")
        short = below_minimum(eng, store, cfg, [] if take else found)
    console.print(table)
    for p, n in short.items():
        console.print(f"{p} would look after {n} normal groups (at least {cfg.normal_groups_min}): assign more")


def koc_assign(group: Annotated[str, typer.Argument(help="group id")],
               person: Annotated[str, typer.Argument(help="the KOC's person id")],
               warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Give a group to a KOC (replacing whoever had it), within the programme's limits."""
    from siyu.koc.groups import assign
    from siyu.koc.settings import koc_settings

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, choice):
        assign(eng, store, koc_settings(choice.settings), group, person, _user())
    _audit(store, "koc.assign", f"{group} → {person}", "assigned by hand")
    console.print(f"{group} → {person}")


def koc_evaluate(month: MonthOpt, warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """The month's KOC ranking and rotation suggestions."""
    from siyu.koc.evaluation import evaluate_month, rotation
    from siyu.koc.settings import koc_settings

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, choice):
        kcfg = koc_settings(choice.settings)
        rows = evaluate_month(eng, store, month, kcfg)
        moves = rotation(eng, store, kcfg, month)
    console.print(_ranking(rows, month))
    for m in moves:
        console.print(f"suggest {m.action}: {m.person_id} ({m.reason})")


def _ranking(rows: list[dict[str, Any]], title: str) -> Table:
    table = Table("rank", "person", "groups", "speakers", "messages", "own", "exits", "content done/due",
                  "member sales", title=title)
    for r in rows:
        table.add_row(str(r["rank"]), r["person_id"], str(r["groups"]), str(r["speakers"]), str(r["messages"]),
                      str(r["own_messages"]), str(r["exits"]), f"{r['content_done']}/{r['content_tasks']}",
                      f"{r['member_sales']:,.2f}")
    return table


def koc_top(year: Annotated[int, typer.Option(min=1900, max=2999, help="calendar year")],
            n: Annotated[int, typer.Option(min=1, max=100, help="how many")] = 10,
            warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """The year's top KOCs: the monthly ranking over the whole year, for the KOCs holding groups now."""
    from siyu.koc.evaluation import top_of_year
    from siyu.koc.settings import koc_settings

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, choice):
        rows = top_of_year(eng, store, year, n, koc_settings(choice.settings))
    console.print(_ranking(rows, f"top {n} of {year}"))


def referrals_code(person: Annotated[str, typer.Argument(help="the inviter's person id")],
                   warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """The inviter's code: what their QR's `state` carries."""
    from siyu.referrals.invites import issue_code
    from siyu.referrals.settings import referral_settings

    choice = choose(warehouse, config, quiet=True)
    console.print(issue_code(_store(warehouse, config), referral_settings(choice.settings), person))


def referrals_sync(as_of: Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
                   warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Link new invitees and reward those whose first order settled (each once)."""
    from siyu.referrals.invites import sync
    from siyu.referrals.settings import referral_settings

    store = _store(warehouse, config)
    with reading(warehouse, config) as (eng, choice):
        day = as_of.date() if as_of else choice.settings.brand.today()
        r = sync(eng, store, referral_settings(choice.settings), day)
    console.print(f"{r.linked:,} linked, {len(r.rewarded):,} rewarded, {len(r.held):,} held for review, "
                  f"{len(r.rejected):,} rejected, {len(r.over_limit):,} over the limit")


def referrals_review(person: Annotated[str, typer.Argument(help="the held invitee's person id")],
                     clear: Annotated[bool, typer.Option("--clear/--reject")], reason: ReasonOpt,
                     warehouse: WarehouseOpt = None, config: ConfigOpt = None) -> None:
    """Clear or reject an invitation held as suspicious."""
    from siyu.referrals.invites import review

    store = _store(warehouse, config)
    status = review(store, person, clear, _user(), reason)
    _audit(store, "referrals.review", f"{person}: {status}", reason)
    console.print(f"{person}: {status}")


def register(app: typer.Typer) -> None:
    guides_app.command("attribute")(friendly(guides_attribute))
    guides_app.command("statement")(friendly(guides_statement))
    guides_app.command("leaderboard")(friendly(guides_leaderboard))
    guides_app.command("handover")(friendly(guides_handover))
    koc_app.command("candidates")(friendly(koc_candidates))
    koc_app.command("state")(friendly(koc_state))
    koc_app.command("groups")(friendly(koc_groups))
    koc_app.command("assign")(friendly(koc_assign))
    koc_app.command("evaluate")(friendly(koc_evaluate))
    koc_app.command("top")(friendly(koc_top))
    referrals_app.command("code")(friendly(referrals_code))
    referrals_app.command("sync")(friendly(referrals_sync))
    referrals_app.command("review")(friendly(referrals_review))
    app.add_typer(guides_app, name="guides")
    app.add_typer(koc_app, name="koc")
    app.add_typer(referrals_app, name="referrals")
