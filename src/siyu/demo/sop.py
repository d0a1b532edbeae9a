"""A small brand lived day by day against siyu's journeys, with a known true effect of reminders.

The batch generator draws two years at once, but a reminder's effect depends on which tasks siyu creates and
which ones staff do, so this simulation takes turns with the journeys: each day new friends arrive and make their
first order, siyu evaluates the journeys, staff do a share of the open tasks (`task_done_rate`), customers
reply, and a reminded customer who would not have bought again does so with chance `reminder_lift`.

It writes the published tables journeys read (person_map, contacts, orders, messages, person_profile) directly,
the way the direct loader writes raw tables at scale. The truth is the intent-to-treat effect on a purchase within
the window after entry, what measure.uplift estimates: (1 − base share buying in the window) × done rate × lift.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from siyu.demo.config import DemoConfig
from siyu.engine import Engine
from siyu.journeys import tasks
from siyu.persons.scope import EVERYONE
from siyu.segment.tables import PERSON_TAG

ORDER_VALUE = Decimal("88.00")
BASE_REPURCHASE = 0.3  # chance a customer buys again within BASE_DAYS of the first order, reminded or not
BASE_DAYS = 45
STAFF = ("S01", "S02", "S03", "S04")


@dataclass
class Person:
    pid: str
    joined: dt.date
    staff: str
    base_day: dt.date | None  # when they buy again unprompted (None: never in the simulation)
    removed: dt.date | None = None
    extra_day: dt.date | None = None  # a purchase a reminder caused
    reminded: bool = False


@dataclass
class Sop:
    """The simulated brand; `day(d)` writes the tables as of day d, `staff_work(d)` does and answers tasks."""

    cfg: DemoConfig
    engine: Engine
    store: sa.Engine
    window_days: int = 30
    per_day: int = 40
    timezone: str = "Asia/Shanghai"
    persons: list[Person] = field(default_factory=list)
    replies: list[tuple[str, dt.datetime]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.cfg.seed)

    @property
    def true_uplift(self) -> float:
        """The effect on the share buying within the window after entry, treatment arm minus holdout."""
        base = BASE_REPURCHASE * min(self.window_days, BASE_DAYS) / BASE_DAYS
        return (1 - base) * self.cfg.task_done_rate * self.cfg.reminder_lift

    def arrive(self, day: dt.date) -> None:
        for _ in range(self.per_day):
            i = len(self.persons)
            base = day + dt.timedelta(days=int(self.rng.integers(1, BASE_DAYS + 1))) \
                if self.rng.random() < BASE_REPURCHASE else None
            removed = day + dt.timedelta(days=int(self.rng.integers(1, 60))) if self.rng.random() < 0.1 else None
            self.persons.append(Person(f"P{i:07d}", day, STAFF[i % len(STAFF)], base, removed))

    def _orders(self, day: dt.date) -> pa.Table:
        rows = []
        for p in self.persons:
            for n, d in enumerate((p.joined, p.base_day, p.extra_day)):
                if d is not None and d <= day:
                    rows.append({"channel": "miniprogram", "order_id": f"{p.pid}-{n}", "channel_uid": f"mp{p.pid}",
                                 "order_date": d, "status": "paid", "amount_paid": ORDER_VALUE,
                                 "refund_amount": Decimal("0.00"), "net_amount": ORDER_VALUE})
        return pa.Table.from_pylist(rows, schema=pa.schema([
            ("channel", pa.string()), ("order_id", pa.string()), ("channel_uid", pa.string()),
            ("order_date", pa.date32()), ("status", pa.string()), ("amount_paid", pa.decimal128(18, 2)),
            ("refund_amount", pa.decimal128(18, 2)), ("net_amount", pa.decimal128(18, 2))]))

    def day(self, day: dt.date) -> None:
        """New arrivals, then every table as of `day` (replaced: the warehouse after that day's run)."""
        self.arrive(day)
        known = self.persons
        pm = [{"channel": c, "channel_uid": f"{pre}{p.pid}", "person_id": p.pid}
              for p in known for c, pre in (("wecom", "wx"), ("miniprogram", "mp"))]
        contacts = [{"staff_id": p.staff, "external_userid": f"wx{p.pid}",
                     "added_at": dt.datetime.combine(p.joined, dt.time(10)),
                     "removed_at": dt.datetime.combine(p.removed, dt.time(12)) if p.removed and p.removed <= day
                     else None} for p in known]
        msgs = [{"message_id": f"m{i}", "kind": "1v1", "customer_id": f"wx{pid}", "sender_type": "customer",
                 "sent_at": at} for i, (pid, at) in enumerate(self.replies) if at.date() <= day]
        orders = self._orders(day)
        bought: dict[str, int] = {}
        for pid, d in zip(orders.column("order_id").to_pylist(), orders.column("order_date").to_pylist(), strict=True):
            del d
            key = pid.split("-")[0]
            bought[key] = bought.get(key, 0) + 1
        profile = [{"person_id": p.pid, "as_of": day, "name": f"顾客{p.pid[-3:]}", "owner_staff_id": p.staff,
                    "owner_store_id": None, "private_since": p.joined,
                    "is_friend": not (p.removed and p.removed <= day), "orders": bought.get(p.pid, 0),
                    "preferred_category": "bra", "birthday_month": None} for p in known]
        self.engine.ensure_table("person_tag", PERSON_TAG)  # no tags in the simulation; conditions may ask
        self.engine.write_arrow("person_map", pa.Table.from_pylist(pm), mode="replace")
        self.engine.write_arrow("contacts", pa.Table.from_pylist(contacts, schema=pa.schema([
            ("staff_id", pa.string()), ("external_userid", pa.string()), ("added_at", pa.timestamp("us")),
            ("removed_at", pa.timestamp("us"))])), mode="replace")
        self.engine.write_arrow("messages", pa.Table.from_pylist(msgs, schema=pa.schema([
            ("message_id", pa.string()), ("kind", pa.string()), ("customer_id", pa.string()),
            ("sender_type", pa.string()), ("sent_at", pa.timestamp("us"))])), mode="replace")
        self.engine.write_arrow("orders", orders, mode="replace")
        self.engine.write_arrow("person_profile", pa.Table.from_pylist(profile, schema=pa.schema([
            ("person_id", pa.string()), ("as_of", pa.date32()), ("name", pa.string()),
            ("owner_staff_id", pa.string()), ("owner_store_id", pa.string()), ("private_since", pa.date32()),
            ("is_friend", pa.bool_()), ("orders", pa.int64()), ("preferred_category", pa.string()),
            ("birthday_month", pa.int64())])), mode="replace")

    def staff_work(self, day: dt.date, now: dt.datetime) -> None:
        """Staff do a share of the day's open tasks and skip the rest; customers reply to 90% of those done. A
        customer's first task, when done, makes one who would not buy again within the window buy within 3 days
        with chance `reminder_lift` (only the first, so the truth is exactly done rate × lift)."""
        by_id = {p.pid: p for p in self.persons}
        local = zoneinfo.ZoneInfo(self.timezone)
        found, _ = tasks.list_tasks(self.store, EVERYONE, status="open", limit=500, now=now)
        while found:
            for t in found:
                p = by_id[t["person_id"]]
                first = t["journey"] == "seed" and not p.reminded  # the seed journey's reminders carry the effect
                p.reminded = p.reminded or first
                if self.rng.random() >= self.cfg.task_done_rate:
                    tasks.act(self.store, t["task_id"], EVERYONE, "skipped", "sim", "customer busy", now=now)
                    continue
                tasks.act(self.store, t["task_id"], EVERYONE, "done", "sim", now=now)
                if self.rng.random() < 0.9:
                    self.replies.append((p.pid, now.astimezone(local).replace(tzinfo=None) + dt.timedelta(hours=1)))
                if first and self.rng.random() < self.cfg.reminder_lift and not self._buys_anyway(p):
                    p.extra_day = day + dt.timedelta(days=int(self.rng.integers(1, 4)))
            found, _ = tasks.list_tasks(self.store, EVERYONE, status="open", limit=500, now=now)

    def _buys_anyway(self, p: Person) -> bool:
        return p.base_day is not None and p.base_day <= p.joined + dt.timedelta(days=self.window_days)
